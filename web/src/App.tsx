import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { createApi } from "./api/client";
import { AuthProvider, useAuth } from "./auth";
import { loadConfig, type AppConfig } from "./config";
import { AppContext } from "./context";
import { access, Link, match, Router, useNav } from "./router";
import { ErrorAlert, Loading } from "./components/ui";
import { errorMessages } from "./lib/problems";
import { Home } from "./pages/Home";
import { ProfilePage, ProfileGate } from "./pages/Profile";
import { DogsPage, DogFormPage } from "./pages/Dogs";
import { BookPage } from "./pages/Book";
import { BookingsPage, BookingPage } from "./pages/Bookings";
import { RosterPage, CareCardPage, CapacityPage, OwnersPage } from "./pages/Staff";

export function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    loadConfig().then(setConfig, setError);
  }, []);
  if (error) {
    return (
      <main id="main" className="container">
        <h1>Dogcare</h1>
        <ErrorAlert messages={errorMessages(error)} />
      </main>
    );
  }
  if (!config) {
    return (
      <main id="main" className="container">
        <Loading label="Starting…" />
      </main>
    );
  }
  return (
    <AuthProvider config={config}>
      <Router>
        <Shell config={config} />
      </Router>
    </AuthProvider>
  );
}

export function Shell({ config, fetcher }: { config: AppConfig; fetcher?: typeof fetch }) {
  const auth = useAuth();
  const nav = useNav();
  const sessionRef = useRef(auth.session);
  sessionRef.current = auth.session;
  const api = useMemo(
    () =>
      createApi(config.apiBaseUrl, () =>
        sessionRef.current ? { accessToken: sessionRef.current.accessToken, idToken: sessionRef.current.idToken } : null,
      fetcher,
      ),
    [config, fetcher],
  );
  const found = match(nav.path);
  const title = found?.route.title ?? "Not found";
  useEffect(() => {
    document.title = `${title} · Dogcare`;
  }, [title]);

  // On every route change, move focus to the new page's heading (as a full page load would
  // put a screen reader at the top) — but not on the very first render.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // The new page's heading, or the main region while the page is still loading.
    const target = document.querySelector<HTMLElement>("main h1") ?? document.querySelector<HTMLElement>("main");
    target?.focus();
  }, [nav.path]);

  if (!auth.ready) {
    return (
      <main id="main" className="container">
        <Loading label="Signing in…" />
      </main>
    );
  }
  const session = auth.session;
  let body: ReactNode;
  if (!found) {
    body = (
      <>
        <h1 tabIndex={-1}>Page not found</h1>
        <p>
          <Link to="/">Go to the start page</Link>
        </p>
      </>
    );
  } else {
    const allowed = access(found.route, session);
    if (allowed === "sign-in") {
      body = (
        <>
          <h1 tabIndex={-1}>Please sign in</h1>
          <p>You need to sign in to see this page.</p>
          <button type="button" className="primary" onClick={() => auth.signIn(nav.path)}>
            Sign in
          </button>
        </>
      );
    } else if (allowed === "forbidden") {
      body = (
        <>
          <h1 tabIndex={-1}>Staff only</h1>
          <p>This page is for the front desk. You are signed in without staff access.</p>
          <p>
            <Link to="/">Go to the start page</Link>
          </p>
        </>
      );
    } else {
      body = page(found.route.name, found.params);
    }
  }
  return (
    <AppContext.Provider value={{ config, api, session }}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="banner">
        <div className="container banner__inner">
          <Link to="/" className="brand">
            Dogcare
          </Link>
          {session ? (
            <div className="account">
              <span className="who">{session.email ?? session.name ?? "Signed in"}</span>
              <button type="button" onClick={() => auth.signOut()}>
                Sign out
              </button>
            </div>
          ) : (
            <button type="button" className="primary" onClick={() => auth.signIn("/app/")}>
              Sign in
            </button>
          )}
        </div>
        {session ? (
          <nav aria-label="Main" className="container mainnav">
            <ul>
              <li>
                <Link to="/dogs">Dogs</Link>
              </li>
              <li>
                <Link to="/book">Book</Link>
              </li>
              <li>
                <Link to="/bookings">Bookings</Link>
              </li>
              <li>
                <Link to="/profile">Profile</Link>
              </li>
              {session.staff ? (
                <>
                  <li>
                    <Link to="/staff">Roster</Link>
                  </li>
                  <li>
                    <Link to="/staff/capacity">Capacity</Link>
                  </li>
                  <li>
                    <Link to="/staff/owners">Owners</Link>
                  </li>
                </>
              ) : null}
            </ul>
          </nav>
        ) : null}
      </header>
      <main id="main" className="container" tabIndex={-1}>
        {auth.error ? <ErrorAlert messages={{ summary: auth.error, fields: {} }} /> : null}
        {body}
      </main>
      <footer className="container footer">
        <p>Times are shown in the facility's time zone ({config.facilityTimezone}).</p>
      </footer>
    </AppContext.Provider>
  );
}

function page(name: string, params: Record<string, string>): ReactNode {
  switch (name) {
    case "home":
      return <Home />;
    case "profile":
      return <ProfilePage />;
    case "dogs":
      return (
        <ProfileGate>
          <DogsPage />
        </ProfileGate>
      );
    case "dog-new":
      return (
        <ProfileGate>
          <DogFormPage />
        </ProfileGate>
      );
    case "dog-edit":
      return (
        <ProfileGate>
          <DogFormPage id={params.id} />
        </ProfileGate>
      );
    case "book":
      return (
        <ProfileGate>
          <BookPage />
        </ProfileGate>
      );
    case "bookings":
      return (
        <ProfileGate>
          <BookingsPage />
        </ProfileGate>
      );
    case "booking":
      return (
        <ProfileGate>
          <BookingPage id={params.id} />
        </ProfileGate>
      );
    case "staff-roster":
      return <RosterPage />;
    case "staff-card":
      return <CareCardPage id={params.id} />;
    case "staff-capacity":
      return <CapacityPage />;
    case "staff-owners":
      return <OwnersPage />;
    default:
      return <h1 tabIndex={-1}>Page not found</h1>;
  }
}
