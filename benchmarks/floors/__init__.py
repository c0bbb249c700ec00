"""The smallest functions the mandated stack allows, one piece at a time (benchmarks/stack_floor.py).

Each ``floor_*`` module is a Lambda handler serving the dogs function's first request (``GET
/dogs/{id}``: the same single GetItem); the benchmark copies them into a code folder of their
own and runs them as it runs the real functions. They import nothing from dogcare or handlers:
what they cost is the stack's price, not ours.
"""
