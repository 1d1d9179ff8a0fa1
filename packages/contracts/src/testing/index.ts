// Conformance suites shared by every implementation of a contracts interface. Imported as
// `@statemesh/contracts/testing`; requires vitest (an optional peer dependency).
export {};
