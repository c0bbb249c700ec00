"""dogcare: dog daycare, boarding and parking on DynamoDB.

The public API of the library: the facade, the entity types, the inputs and the errors.
Importing it needs neither Powertools, Stripe nor the Lambda handlers.
"""

__version__ = "0.1.0"
