import { createContext, useContext } from "react";
import type { Api } from "./api/client";
import type { AppConfig } from "./config";
import type { Session } from "./auth";

export interface AppContextValue {
  config: AppConfig;
  api: Api;
  session: Session | null;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp outside AppContext");
  return value;
}
