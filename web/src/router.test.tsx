import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import { access, match, Router, ROUTES } from "./router";
import { AuthContext, isStaffToken, type AuthState, type Session } from "./auth";
import { Shell } from "./App";
import type { AppConfig } from "./config";

function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "RS256" })}.${b64(claims)}.sig`;
}

const config: AppConfig = {
  apiBaseUrl: "http://127.0.0.1:3000",
  oidc: {
    authority: "http://127.0.0.1:3000/oidc",
    clientId: "web",
    redirectPath: "/app/callback",
    silentRedirectPath: "/app/silent-renew.html",
    postLogoutPath: "/app/",
    scope: "openid email profile",
  },
  payments: { mode: "local", publishableKey: "pk_test", stripeApiBase: "http://127.0.0.1:3001" },
  facilityTimezone: "UTC",
  currency: "USD",
};

function session(staff: boolean): Session {
  return { accessToken: "t", subject: "u", staff, email: "u@example.com" };
}

const requests: Request[] = [];
const fakeFetch = (async (input: Request | string) => {
  const request = input instanceof Request ? input : new Request(input);
  requests.push(request);
  return new Response(JSON.stringify({ items: [], next_cursor: null }), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}) as typeof fetch;

function renderAt(path: string, s: Session | null) {
  window.history.replaceState(null, "", path);
  const auth: AuthState = { session: s, ready: true, error: null, signIn: vi.fn(), signOut: vi.fn() };
  return render(
    <AuthContext.Provider value={auth}>
      <Router>
        <Shell config={config} fetcher={fakeFetch} />
      </Router>
    </AuthContext.Provider>,
  );
}

describe("routes and guards", () => {
  it("matches paths under /app with parameters", () => {
    expect(match("/app/")?.route.name).toBe("home");
    expect(match("/app/dogs/new")?.route.name).toBe("dog-new");
    expect(match("/app/dogs/d-1")).toMatchObject({ route: { name: "dog-edit" }, params: { id: "d-1" } });
    expect(match("/app/staff/bookings/b%201")?.params.id).toBe("b 1");
    expect(match("/app/bookings/")?.route.name).toBe("bookings");
    expect(match("/app/nowhere")).toBeNull();
  });

  it("lets only staff see staff routes, and only signed-in people see owner routes", () => {
    const staffRoutes = ROUTES.filter((r) => r.audience === "staff");
    expect(staffRoutes.map((r) => r.name)).toEqual(["staff-roster", "staff-card", "staff-capacity", "staff-owners"]);
    for (const r of staffRoutes) {
      expect(access(r, null)).toBe("sign-in");
      expect(access(r, { staff: false })).toBe("forbidden");
      expect(access(r, { staff: true })).toBe("allow");
    }
    const dogs = ROUTES.find((r) => r.name === "dogs")!;
    expect(access(dogs, null)).toBe("sign-in");
    expect(access(dogs, { staff: false })).toBe("allow");
  });

  it("reads staff from the access token's cognito:groups", () => {
    expect(isStaffToken(jwt({ sub: "a", "cognito:groups": ["admin"] }))).toBe(true);
    expect(isStaffToken(jwt({ sub: "a", "cognito:groups": ["owners"] }))).toBe(false);
    expect(isStaffToken(jwt({ sub: "a" }))).toBe(false);
    expect(isStaffToken("not a token")).toBe(false);
  });

  it("shows an owner no staff links and no staff screen", () => {
    renderAt("/app/staff", session(false));
    expect(screen.getByRole("heading", { level: 1, name: "Staff only" })).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(nav.textContent).not.toContain("Roster");
    expect(nav.textContent).toContain("Bookings");
  });

  it("shows staff their links", () => {
    renderAt("/app/staff/owners", session(true));
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(nav.textContent).toContain("Roster");
    expect(nav.textContent).toContain("Owners");
    return screen.findByText("No owners yet.").then(() => {
      const last = requests[requests.length - 1];
      expect(new URL(last.url).pathname).toBe("/admin/owners");
      expect(last.headers.get("Authorization")).toBe("Bearer t");
    });
  });

  it("asks a signed-out visitor to sign in", () => {
    renderAt("/app/bookings", null);
    expect(screen.getByRole("heading", { level: 1, name: "Please sign in" })).toBeTruthy();
  });
});
