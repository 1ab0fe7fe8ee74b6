package kernel

import (
	"fmt"
	"math"
)

// Assign solves the rectangular assignment problem by the Hungarian method
// (Kuhn-Munkres) with row and column potentials: for an n x m cost matrix
// with n <= m it returns match, where row i goes to column match[i], all
// columns distinct, and the minimum total cost. Cost O(n^2 m) time and
// O(m) memory. It panics when n > m or the rows differ in length.
func Assign(cost [][]float64) (match []int, total float64) {
	n := len(cost)
	if n == 0 {
		return nil, 0
	}
	m := len(cost[0])
	if n > m {
		panic(fmt.Sprintf("kernel: Assign needs rows <= columns, got %d x %d", n, m))
	}
	flat := make([]float64, 0, n*m)
	for i, row := range cost {
		if len(row) != m {
			panic(fmt.Sprintf("kernel: Assign row %d has %d entries, want %d", i, len(row), m))
		}
		flat = append(flat, row...)
	}
	var w work
	total = w.assign(flat, n, m)
	match = make([]int, n)
	for j := 1; j <= m; j++ {
		if r := w.owner[j]; r != 0 {
			match[r-1] = j - 1
		}
	}
	return match, total
}

// work holds the buffers of one distance computation, reused across the
// many distances of a kernel row. The zero value is ready to use; a work
// must not be shared between goroutines.
type work struct {
	cost          []float64
	rowPot, slack []float64
	colPot        []float64
	owner, prev   []int
	done          []bool
	dp            []float64
}

// grow returns s resized to n, reusing its storage when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// assign solves the assignment problem for the n x m (n <= m) row-major
// cost matrix c and returns the minimum total; w.owner[j] is then the row
// (from 1) assigned to column j (from 1), or 0.
func (w *work) assign(c []float64, n, m int) float64 {
	// Columns and rows are numbered from 1; column 0 is a virtual column
	// that holds the row being inserted. owner[j] is the row assigned to
	// column j (0 for none), prev[j] the column before j on the shortest
	// augmenting path, slack[j] the reduced cost of reaching column j.
	rowPot := grow(w.rowPot, n+1)
	colPot := grow(w.colPot, m+1)
	owner := grow(w.owner, m+1)
	prev := grow(w.prev, m+1)
	slack := grow(w.slack, m+1)
	done := grow(w.done, m+1)
	w.rowPot, w.colPot, w.owner, w.prev, w.slack, w.done = rowPot, colPot, owner, prev, slack, done
	clear(rowPot)
	clear(colPot)
	clear(owner)
	for r := 1; r <= n; r++ {
		owner[0] = r
		for j := range slack {
			slack[j], done[j] = math.Inf(1), false
		}

		// Grow a shortest-path tree from row r until a free column is
		// reached (Dijkstra on reduced costs).
		col := 0
		for {
			done[col] = true
			row, step, next := owner[col], math.Inf(1), 0
			base := (row - 1) * m
			for j := 1; j <= m; j++ {
				if done[j] {
					continue
				}
				if v := c[base+j-1] - rowPot[row] - colPot[j]; v < slack[j] {
					slack[j], prev[j] = v, col
				}
				if slack[j] < step {
					step, next = slack[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if done[j] {
					rowPot[owner[j]] += step
					colPot[j] -= step
				} else {
					slack[j] -= step
				}
			}
			col = next
			if owner[col] == 0 {
				break
			}
		}

		// Flip the assignments along the augmenting path.
		for col != 0 {
			p := prev[col]
			owner[col] = owner[p]
			col = p
		}
	}
	total := 0.0
	for j := 1; j <= m; j++ {
		if r := owner[j]; r != 0 {
			total += c[(r-1)*m+j-1]
		}
	}
	return total
}
