// Sign-in with OpenID Connect (Authorization Code + PKCE) through oidc-client-ts. Tokens
// live in memory only (never localStorage): a reload signs in again through the provider.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from "oidc-client-ts";
import type { AppConfig } from "./config";

export interface Session {
  accessToken: string;
  idToken?: string;
  email?: string;
  name?: string;
  subject: string;
  staff: boolean;
}

export interface AuthState {
  session: Session | null;
  ready: boolean;
  error: string | null;
  signIn: (returnTo?: string) => Promise<void>;
  signOut: () => Promise<void>;
}

// Only a hint that this tab has signed in (never a token): lets a reload try silent sign-in.
const SIGNED_IN_HINT = "dogcare.signed-in";

export const AuthContext = createContext<AuthState | null>(null);

export function useAuth(): AuthState {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

/** The claims of a JWT (unverified: the API verifies; the app only reads roles for display). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  if (!part) return {};
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Staff are the access token's `cognito:groups` containing `admin`. */
export function isStaffToken(accessToken: string): boolean {
  const groups = jwtClaims(accessToken)["cognito:groups"];
  if (Array.isArray(groups)) return groups.includes("admin");
  return typeof groups === "string" && groups.split(/[ ,]/).includes("admin");
}

export function sessionOf(user: User | null): Session | null {
  if (!user || user.expired) return null;
  return {
    accessToken: user.access_token,
    idToken: user.id_token,
    email: typeof user.profile.email === "string" ? user.profile.email : undefined,
    name: typeof user.profile.name === "string" ? user.profile.name : undefined,
    subject: user.profile.sub,
    staff: isStaffToken(user.access_token),
  };
}

export function userManager(config: AppConfig): UserManager {
  const origin = window.location.origin;
  return new UserManager({
    authority: config.oidc.authority,
    client_id: config.oidc.clientId,
    redirect_uri: origin + config.oidc.redirectPath,
    silent_redirect_uri: origin + config.oidc.silentRedirectPath,
    post_logout_redirect_uri: origin + config.oidc.postLogoutPath,
    scope: config.oidc.scope,
    response_type: "code",
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    // Renewal is driven below (accessTokenExpiring) so that every request carries a nonce.
    automaticSilentRenew: false,
    silentRequestTimeoutInSeconds: 5,
  });
}

/** Where a failed prompt=none attempt was made from (oidc-client-ts keeps the state on the error). */
function returnPath(e: unknown): string | null {
  const state = (e as { state?: unknown } | null)?.state;
  return typeof state === "string" && state.startsWith("/app/") ? state : null;
}

/** A fresh nonce per authorization request: the ID token must echo it (replay protection). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function AuthProvider({ config, children }: { config: AppConfig; children: ReactNode }) {
  const manager = useMemo(() => userManager(config), [config]);
  const [session, setSession] = useState<Session | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const onLoaded = (user: User) => {
      if (live) setSession(sessionOf(user));
    };
    const onGone = () => {
      if (live) setSession(null);
    };
    // Silent renewal failed (the provider's session ended): ask the person to sign in again.
    const onRenewError = onGone;
    // Renew shortly before the access token expires, silently through the provider's session.
    const onExpiring = () => {
      manager.signinSilent({ nonce: newNonce() }).catch(onGone);
    };
    manager.events.addAccessTokenExpiring(onExpiring);
    manager.events.addUserLoaded(onLoaded);
    manager.events.addUserUnloaded(onGone);
    manager.events.addAccessTokenExpired(onGone);
    manager.events.addSilentRenewError(onRenewError);

    (async () => {
      const path = window.location.pathname;
      try {
        if (path === config.oidc.redirectPath) {
          const user = await manager.signinRedirectCallback();
          const returnTo = typeof user.state === "string" && user.state.startsWith("/") ? user.state : "/app/";
          window.history.replaceState(null, "", returnTo);
          if (live) setSession(sessionOf(user));
          sessionStorage.setItem(SIGNED_IN_HINT, "1");
        } else {
          const user = await manager.getUser();
          // Tokens are in memory only, so a reload forgets them: if this tab signed in before,
          // ask the provider again with prompt=none (its own session decides, nothing is shown).
          // A top-level redirect rather than a hidden frame: it works even where the app's
          // pages may not be framed. The hint is dropped first, so this is tried once.
          if (!user && sessionStorage.getItem(SIGNED_IN_HINT)) {
            sessionStorage.removeItem(SIGNED_IN_HINT);
            await manager.signinRedirect({
              state: window.location.pathname + window.location.search,
              nonce: newNonce(),
              prompt: "none",
            });
            return; // the browser is leaving for the provider
          }
          if (live) setSession(sessionOf(user));
        }
      } catch (e) {
        if (live) {
          // login_required answers a prompt=none attempt when the provider's session has
          // ended: the person simply signs in again, no error to show.
          const quiet = e instanceof Error && "error" in e && (e as { error?: string }).error === "login_required";
          if (!quiet) setError(`Signing in did not complete: ${e instanceof Error ? e.message : String(e)}`);
          window.history.replaceState(null, "", returnPath(e) ?? "/app/");
        }
      } finally {
        if (live) setReady(true);
      }
    })();
    return () => {
      live = false;
      manager.events.removeAccessTokenExpiring(onExpiring);
      manager.events.removeUserLoaded(onLoaded);
      manager.events.removeUserUnloaded(onGone);
      manager.events.removeAccessTokenExpired(onGone);
      manager.events.removeSilentRenewError(onRenewError);
    };
  }, [manager, config]);

  const value = useMemo<AuthState>(
    () => ({
      session,
      ready,
      error,
      signIn: (returnTo?: string) =>
        manager.signinRedirect({ state: returnTo ?? window.location.pathname, nonce: newNonce() }),
      signOut: async () => {
        const user = await manager.getUser();
        sessionStorage.removeItem(SIGNED_IN_HINT);
        await manager.removeUser();
        setSession(null);
        try {
          await manager.signoutRedirect({ id_token_hint: user?.id_token });
        } catch {
          // A provider without an end-session endpoint: the local sign-out is enough.
          window.location.assign(config.oidc.postLogoutPath);
        }
      },
    }),
    [session, ready, error, manager, config],
  );
  // Children (the router among them) start once the sign-in callback has put the address back.
  return <AuthContext.Provider value={value}>{ready ? children : null}</AuthContext.Provider>;
}
