// Package harness holds what the experiment programs share: the named
// profiles that set their scale, the record of the machine and code a
// result came from, data preparation in the paper's setting (section 5),
// the seam to the search stack, progress lines, and writing tables and
// result files.
//
// Every result file the experiments write carries the [Profile] it was run
// at and a [Meta] record (commit, Go version, CPU, date), so a table always
// says what it was run at.
package harness
