package harness

import (
	"fmt"
	"slices"
	"strings"
)

// Searchers are the searchers of Table 1 by registry name, in the paper's
// row order; a test checks that they are the registry's.
var Searchers = []string{"random", "grid", "spmt", "smac", "seas", "bfs", "bo", "ak"}

// Label is how the paper prints a searcher or data set name: "AK",
// "RANDOM", "CIFAR10", "FASHION".
func Label(name string) string { return strings.ToUpper(name) }

// ParseList splits a comma-separated flag value, drops empty items and
// duplicates, and checks each item against known. flag names the flag for
// errors.
func ParseList(flag, value string, known []string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(value, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || slices.Contains(out, s) {
			continue
		}
		if !slices.Contains(known, s) {
			return nil, fmt.Errorf("-%s: unknown %q (want some of %s)", flag, s, strings.Join(known, ","))
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-%s: empty list (want some of %s)", flag, strings.Join(known, ","))
	}
	return out, nil
}
