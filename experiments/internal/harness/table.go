package harness

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/morphnas/morphnas/plots"
)

// Table is a result table in the paper's layout: one row per method, one
// column per data set, each cell the test error over seeds.
type Table struct {
	Title   string   `json:"title"`
	Columns []string `json:"columns"`
	Rows    []Row    `json:"rows"`
	// Notes are printed under the table: the profile, missing data sets,
	// warnings.
	Notes []string `json:"notes,omitempty"`
}

// Row is one method's results.
type Row struct {
	Method string `json:"method"`
	Cells  []Cell `json:"cells"`
}

// Cell is one method on one data set.
type Cell struct {
	// Errors are the test error rates (fractions), one per seed, and
	// Seeds the seeds.
	Errors []float64 `json:"errors"`
	Seeds  []uint64  `json:"seeds"`
	// Mean is the mean error and CI95 the half-width of its 95% confidence
	// interval (Student's t over seeds); both are set by Fill, and CI95 is
	// zero with fewer than two seeds.
	Mean float64 `json:"mean"`
	CI95 float64 `json:"ci95"`
	// Paper is the paper's figure as printed ("0.55%", or "NA").
	Paper string `json:"paper,omitempty"`
	// Status is empty for a cell with a value, else one of the Status
	// constants; Missing then says why in words (where the data set was
	// looked for, the search's error).
	Status  string `json:"status,omitempty"`
	Missing string `json:"missing,omitempty"`
}

// Why a cell holds no value.
const (
	StatusMissing = "missing data" // the data set was found nowhere
	StatusFailed  = "failed"       // the search or its final training failed
	StatusNotRun  = "not run"      // not selected on the command line
	StatusNA      = "NA"           // no such method here (NASBOT)
)

// Fill computes every cell's mean and confidence interval from its errors.
func (t *Table) Fill() error {
	for i := range t.Rows {
		for j := range t.Rows[i].Cells {
			c := &t.Rows[i].Cells[j]
			if len(c.Errors) == 0 {
				continue
			}
			m, h, err := plots.MeanCI(c.Errors)
			if err != nil {
				return fmt.Errorf("harness: table %s, %s: %w", t.Rows[i].Method, t.Columns[j], err)
			}
			c.Mean, c.CI95 = m, h
		}
	}
	return nil
}

// Value is the cell's own figure: "1.23% ± 0.40" (percent, 95% CI over
// seeds), "1.23%" with one seed, or its Status ("not run" when it has
// neither).
func (c Cell) Value() string {
	switch {
	case len(c.Errors) == 0 && c.Status != "":
		return c.Status
	case len(c.Errors) == 0:
		return StatusNotRun
	case len(c.Errors) == 1:
		return fmt.Sprintf("%.2f%%", 100*c.Mean)
	default:
		return fmt.Sprintf("%.2f%% ± %.2f", 100*c.Mean, 100*c.CI95)
	}
}

// Text is the value with the paper's figure beside it.
func (c Cell) Text() string {
	if c.Paper == "" {
		return c.Value()
	}
	return c.Value() + " (paper " + c.Paper + ")"
}

// header is the first row: "Methods" and the columns.
func (t *Table) header() []string { return append([]string{"Methods"}, t.Columns...) }

// Markdown writes the title, the table and the notes as Markdown.
func (t *Table) Markdown(w io.Writer) error {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "### %s\n\n", t.Title)
	}
	h := t.header()
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat("---|", len(h)))
	for _, r := range t.Rows {
		cells := []string{r.Method}
		for _, c := range r.Cells {
			cells = append(cells, strings.ReplaceAll(c.Text(), "|", "\\|"))
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	if len(t.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CSVHeader is the header of the CSV form of a table.
var CSVHeader = []string{"method", "dataset", "mean_error_pct", "ci95_pct", "seeds", "errors_pct", "paper", "status", "missing"}

// CSV writes one line per cell: method, data set, mean error and the
// half-width of its 95% CI in percent (the CI empty with fewer than two
// seeds), number of seeds, the errors per seed separated by spaces, the
// paper's figure, the status and why a value is missing.
func (t *Table) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range t.Rows {
		for j, c := range r.Cells {
			mean, ci := "", ""
			if len(c.Errors) > 0 {
				mean = strconv.FormatFloat(100*c.Mean, 'f', 4, 64)
			}
			if len(c.Errors) > 1 {
				ci = strconv.FormatFloat(100*c.CI95, 'f', 4, 64)
			}
			errs := make([]string, len(c.Errors))
			for k, e := range c.Errors {
				errs[k] = strconv.FormatFloat(100*e, 'f', 4, 64)
			}
			rec := []string{r.Method, t.Columns[j], mean, ci, strconv.Itoa(len(c.Errors)),
				strings.Join(errs, " "), c.Paper, c.Status, c.Missing}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// Terminal writes the table for people, with the title above and the notes
// below.
func (t *Table) Terminal(w io.Writer) error {
	if t.Title != "" {
		if _, err := fmt.Fprintln(w, t.Title); err != nil {
			return err
		}
	}
	tab := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	h := t.header()
	hs := make([]any, len(h))
	for i, s := range h {
		hs[i] = s
	}
	tab.Header(hs...)
	for _, r := range t.Rows {
		cells := []string{r.Method}
		for _, c := range r.Cells {
			cells = append(cells, c.Text())
		}
		if err := tab.Append(cells); err != nil {
			return err
		}
	}
	if err := tab.Render(); err != nil {
		return err
	}
	for _, n := range t.Notes {
		if _, err := fmt.Fprintln(w, "  "+n); err != nil {
			return err
		}
	}
	return nil
}
