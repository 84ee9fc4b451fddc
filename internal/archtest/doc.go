// Package archtest holds the test that enforces the import direction of
// DESIGN.md: imports point down the package list, never up. It has no code.
package archtest
