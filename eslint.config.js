// ESLint flat config: @eslint/js and typescript-eslint recommended rules (syntax only, not
// type-checked, so `npx eslint .` stays fast; `tsc` does the type checking).
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

const nodeGlobals = {
  process: "readonly",
  console: "readonly",
  Buffer: "readonly",
  URL: "readonly",
  URLSearchParams: "readonly",
  setTimeout: "readonly",
  clearTimeout: "readonly",
  setInterval: "readonly",
  clearInterval: "readonly",
  fetch: "readonly",
  structuredClone: "readonly",
};

export default defineConfig(
  globalIgnores(["dist/", "node_modules/", "coverage/"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // Plain JavaScript outside the browser (config files, scripts) runs on Node.
    files: ["**/*.{js,mjs,cjs}"],
    ignores: ["app/src/web/static/**"],
    languageOptions: { sourceType: "module", globals: nodeGlobals },
  },
  {
    // The pages' one script runs in the browser, as a classic script.
    files: ["app/src/web/static/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { window: "readonly", document: "readonly", fetch: "readonly", FormData: "readonly", URLSearchParams: "readonly", TextDecoderStream: "readonly" },
    },
  },
  {
    // The application logs with pino; console output bypasses redaction and log levels.
    files: ["app/src/**"],
    rules: { "no-console": "error" },
  },
);
