import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Served by the API at /app/ (the server falls back to index.html for client routes).
export default defineConfig({
  base: "/app/",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, target: "es2022" },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    setupFiles: ["src/test-setup.ts"],
  },
});
