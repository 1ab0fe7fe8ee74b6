package plots

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Save writes p to path at the default size, in the format named by the
// file's extension (png, svg, pdf, ...), through a temporary file renamed
// into place; the directory is created if missing.
func Save(p *plot.Plot, path string) error {
	return SaveRow(path, Width, Height, p)
}

// SaveRow writes the plots side by side in one image of w by h (the whole
// row) to path, in the format named by the file's extension. The file's
// directory is created if missing.
func SaveRow(path string, w, h vg.Length, plots ...*plot.Plot) error {
	if len(plots) == 0 {
		return fmt.Errorf("%w: no plots to save to %s", ErrEmpty, path)
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4}
	cells := plot.Align([][]*plot.Plot{plots}, tiles, draw.New(c))
	for i, p := range plots {
		p.Draw(cells[0][i])
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := c.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plots: saving %s: %w", path, err)
	}
	return nil
}
