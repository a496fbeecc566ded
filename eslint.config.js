// TypeScript lint for every package: typescript-eslint with type information
// (projectService reads each package's tsconfig.json), so promise mistakes, the
// class of bug a test rarely catches, are compile-time errors. `pnpm lint` runs it
// per package through turbo (`eslint .` in each).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // Generated code (checked for freshness instead), build output, tools.
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "**/src/gen/**",
      "**/src/generated/**",
      "packages/codegen/test/golden/**",
      "**/.generated/**",
      "**/test/.readme-example*.ts",
      "**/.bridge/**",
      ".tools/**",
      "python/**",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its rejection; a promise where a value is expected is always truthy.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      "@typescript-eslint/only-throw-error": "error",
      "@typescript-eslint/prefer-promise-reject-errors": "error",
      // `_` marks a parameter or binding kept for its position.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Tests handle untyped values on purpose (generated code imported at run time, JSON,
    // vitest's asymmetric matchers); a wrong value there fails the test itself. The
    // promise rules stay on: an un-awaited expect.poll or rejects passes silently.
    files: ["**/test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // Config files and plain JS outside every tsconfig: lint without type information.
    files: ["**/*.config.ts", "*.shared.ts", "**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
