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
	for i, row := range cost {
		if len(row) != m {
			panic(fmt.Sprintf("kernel: Assign row %d has %d entries, want %d", i, len(row), m))
		}
	}

	// Columns and rows are numbered from 1; column 0 is a virtual column
	// that holds the row being inserted. owner[j] is the row assigned to
	// column j (0 for none), prev[j] the column before j on the shortest
	// augmenting path, slack[j] the reduced cost of reaching column j.
	rowPot := make([]float64, n+1)
	colPot := make([]float64, m+1)
	owner := make([]int, m+1)
	prev := make([]int, m+1)
	slack := make([]float64, m+1)
	done := make([]bool, m+1)
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
			for j := 1; j <= m; j++ {
				if done[j] {
					continue
				}
				if c := cost[row-1][j-1] - rowPot[row] - colPot[j]; c < slack[j] {
					slack[j], prev[j] = c, col
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

	match = make([]int, n)
	for j := 1; j <= m; j++ {
		if owner[j] != 0 {
			match[owner[j]-1] = j - 1
		}
	}
	for i, j := range match {
		total += cost[i][j]
	}
	return match, total
}
