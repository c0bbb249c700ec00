// A small history router: the app has a dozen routes, which does not justify a library.
import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type ReactNode } from "react";

export const BASE = "/app";

export type Audience = "public" | "owner" | "staff";

export interface RouteDef {
  name: string;
  pattern: string; // "/dogs/:id"
  audience: Audience;
  title: string;
}

export const ROUTES: RouteDef[] = [
  { name: "home", pattern: "/", audience: "public", title: "Welcome" },
  { name: "profile", pattern: "/profile", audience: "owner", title: "Your profile" },
  { name: "dogs", pattern: "/dogs", audience: "owner", title: "Your dogs" },
  { name: "dog-new", pattern: "/dogs/new", audience: "owner", title: "Add a dog" },
  { name: "dog-edit", pattern: "/dogs/:id", audience: "owner", title: "Edit dog" },
  { name: "book", pattern: "/book", audience: "owner", title: "Book a stay" },
  { name: "bookings", pattern: "/bookings", audience: "owner", title: "Your bookings" },
  { name: "booking", pattern: "/bookings/:id", audience: "owner", title: "Booking" },
  { name: "staff-roster", pattern: "/staff", audience: "staff", title: "Roster" },
  { name: "staff-card", pattern: "/staff/bookings/:id", audience: "staff", title: "Care card" },
  { name: "staff-capacity", pattern: "/staff/capacity", audience: "staff", title: "Capacity" },
  { name: "staff-owners", pattern: "/staff/owners", audience: "staff", title: "Owners" },
];

export interface Match {
  route: RouteDef;
  params: Record<string, string>;
}

export function match(pathname: string): Match | null {
  let path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  if (!path.startsWith("/")) path = `/${path}`;
  if (path.length > 1) path = path.replace(/\/+$/, "");
  for (const route of ROUTES) {
    const want = route.pattern.split("/");
    const got = path.split("/");
    if (want.length !== got.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length; i++) {
      if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(got[i]);
      else if (want[i] !== got[i]) ok = false;
    }
    if (ok) return { route, params };
  }
  return null;
}

export type Access = "allow" | "sign-in" | "forbidden";

/** The route guard: who may see a screen (the API checks again on every request). */
export function access(route: RouteDef, session: { staff: boolean } | null): Access {
  if (route.audience === "public") return "allow";
  if (!session) return "sign-in";
  if (route.audience === "staff" && !session.staff) return "forbidden";
  return "allow";
}

interface Nav {
  path: string;
  search: string;
  navigate: (to: string, replace?: boolean) => void;
}
const NavContext = createContext<Nav | null>(null);

export function useNav(): Nav {
  const nav = useContext(NavContext);
  if (!nav) throw new Error("useNav outside Router");
  return nav;
}

export function href(to: string): string {
  return to.startsWith(BASE) ? to : `${BASE}${to === "/" ? "/" : to}`;
}

export function Router({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState({ path: window.location.pathname, search: window.location.search });
  useEffect(() => {
    const onPop = () => setLocation({ path: window.location.pathname, search: window.location.search });
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = (to: string, replace = false) => {
    const url = href(to);
    if (replace) window.history.replaceState(null, "", url);
    else window.history.pushState(null, "", url);
    setLocation({ path: window.location.pathname, search: window.location.search });
  };
  return <NavContext.Provider value={{ ...location, navigate }}>{children}</NavContext.Provider>;
}

export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { navigate, path } = useNav();
  const target = href(to);
  return (
    <a
      {...rest}
      href={target}
      aria-current={path === target ? "page" : undefined}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
