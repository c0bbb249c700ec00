// Runtime configuration, served by the API beside the app (one build for every stage).

export interface AppConfig {
  apiBaseUrl: string;
  oidc: {
    authority: string;
    clientId: string;
    redirectPath: string;
    silentRedirectPath: string;
    postLogoutPath: string;
    scope: string;
  };
  payments: { mode: "local" | "stripe"; publishableKey: string; stripeApiBase?: string | null };
  facilityTimezone: string;
  currency: string;
}

export async function loadConfig(fetcher: typeof fetch = fetch): Promise<AppConfig> {
  const response = await fetcher(`${import.meta.env.BASE_URL}config.json`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`could not load the app's configuration (HTTP ${response.status})`);
  const config = (await response.json()) as AppConfig;
  // Relative or trailing-slash forms all mean the same origin.
  config.apiBaseUrl = (config.apiBaseUrl || window.location.origin).replace(/\/+$/, "");
  return config;
}
