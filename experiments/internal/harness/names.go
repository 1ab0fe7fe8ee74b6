package harness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/morphnas/morphnas/searchers"
)

// paperRows are the methods of Table 1 in the paper's row order. NASBOT is
// a row of the paper only: its architectures came from its authors, and no
// searcher of that name is registered here.
var paperRows = []string{"random", "grid", "spmt", "smac", "seas", "nasbot", "bfs", "bo", "ak"}

// registered lists the searchers' registry; tests replace it.
var registered = searchers.Names

// Rows returns the rows of Table 1 for the given registered searcher
// names: the paper's rows in its order, NASBOT included, then the names
// the paper does not have, in alphabetical order.
func Rows(names []string) []string {
	rows := slices.Clone(paperRows)
	extra := slices.Clone(names)
	slices.Sort(extra)
	for _, n := range extra {
		if !slices.Contains(rows, n) {
			rows = append(rows, n)
		}
	}
	return rows
}

// Searchers returns the names of the registry (searchers.Names) in the
// order of Table 1's rows: the paper's searchers in its row order, then any
// other registered searcher in alphabetical order.
func Searchers() []string {
	names := registered()
	var out []string
	for _, r := range Rows(names) {
		if slices.Contains(names, r) {
			out = append(out, r)
		}
	}
	return out
}

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
