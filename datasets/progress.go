package datasets

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressEvery is the least time between two redraws of a progress bar.
const progressEvery = 200 * time.Millisecond

// progressWidth is the number of cells of the bar.
const progressWidth = 30

// progress draws a one-line progress bar of a download on w, redrawn in
// place with a carriage return. It is an io.Writer that counts the bytes
// written to it; a nil w draws nothing. Errors writing to w are ignored: a
// broken terminal must not fail a download.
type progress struct {
	w     io.Writer
	label string
	total int64 // -1 if unknown
	done  int64
	last  time.Time
}

func newProgress(w io.Writer, label string, total int64) *progress {
	return &progress{w: w, label: label, total: total}
}

// Write counts len(b) bytes and redraws the bar if it is time to.
func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.w != nil && time.Since(p.last) >= progressEvery {
		p.draw()
	}
	return len(b), nil
}

// finish draws the final state and ends the line.
func (p *progress) finish() {
	if p.w == nil {
		return
	}
	p.draw()
	fmt.Fprintln(p.w)
}

func (p *progress) draw() {
	p.last = time.Now()
	const mb = 1 << 20
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s %.1f MiB", p.label, float64(p.done)/mb)
		return
	}
	frac := min(float64(p.done)/float64(p.total), 1)
	cells := int(frac * progressWidth)
	bar := strings.Repeat("=", cells) + strings.Repeat(" ", progressWidth-cells)
	fmt.Fprintf(p.w, "\r%s [%s] %5.1f%% %.1f/%.1f MiB", p.label, bar, 100*frac,
		float64(p.done)/mb, float64(p.total)/mb)
}
