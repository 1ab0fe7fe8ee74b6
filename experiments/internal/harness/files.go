package harness

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to path atomically: a temporary file in the same
// directory, synced, then renamed into place. The directory is created if
// missing.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("harness: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("harness: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("harness: writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("harness: writing %s: %w", path, err)
	}
	return nil
}

// WriteJSON writes v as indented JSON to path atomically.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("harness: encoding %s: %w", path, err)
	}
	return WriteFile(path, append(data, '\n'))
}

// ReadJSON reads the JSON file at path into v.
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("harness: reading %s: %w", path, err)
	}
	return nil
}

// WriteWith writes what write produces to path atomically.
func WriteWith(path string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return fmt.Errorf("harness: writing %s: %w", path, err)
	}
	return WriteFile(path, b.Bytes())
}

// WriteCSV writes the records (the first one the header) to path
// atomically.
func WriteCSV(path string, recs [][]string) error {
	return WriteWith(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.WriteAll(recs); err != nil {
			return err
		}
		return cw.Error()
	})
}
