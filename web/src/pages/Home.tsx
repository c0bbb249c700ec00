import { useAuth } from "../auth";
import { useApp } from "../context";
import { Link } from "../router";
import { ProfileGate } from "./Profile";

export function Home() {
  const { session } = useApp();
  const auth = useAuth();
  if (!session) {
    return (
      <>
        <h1 tabIndex={-1}>Daycare, boarding and parking for your dog</h1>
        <p>Sign in to add your dogs, see prices and free places, book and pay.</p>
        <button type="button" className="primary" onClick={() => auth.signIn("/app/")}>
          Sign in to continue
        </button>
      </>
    );
  }
  return (
    <>
      {session.staff ? <h1 tabIndex={-1}>Welcome back</h1> : null}
      {session.staff ? (
        <section aria-labelledby="staff-heading" className="card">
          <h2 id="staff-heading">Front desk</h2>
          <ul className="links">
            <li>
              <Link to="/staff">Today's roster</Link>
            </li>
            <li>
              <Link to="/staff/capacity">Capacity</Link>
            </li>
            <li>
              <Link to="/staff/owners">Owners</Link>
            </li>
          </ul>
        </section>
      ) : null}
      <ProfileGate heading={session.staff ? "h2" : "h1"}>
        <OwnerHome staff={session.staff} />
      </ProfileGate>
    </>
  );
}

function OwnerHome({ staff }: { staff: boolean }) {
  const H = staff ? "h2" : "h1";
  return (
    <>
      <H tabIndex={-1}>{staff ? "Your own dogs and bookings" : "Welcome back"}</H>
      <ul className="links">
        <li>
          <Link to="/book">Book a stay</Link>
        </li>
        <li>
          <Link to="/bookings">Your bookings</Link>
        </li>
        <li>
          <Link to="/dogs">Your dogs</Link>
        </li>
        <li>
          <Link to="/profile">Your profile</Link>
        </li>
      </ul>
    </>
  );
}
