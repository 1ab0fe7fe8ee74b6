package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/morphnas/morphnas/core/graph"
)

// File names inside a search directory.
const (
	recordFile  = "run.json"
	journalFile = "journal.jsonl"
	lockFile    = "lock"
	modelsDir   = "models"
)

// Store is a search directory opened for reading: the run's record, the
// history rebuilt from the journal, and the stored models. It is a snapshot
// taken by Open; a search may go on writing to the directory meanwhile, in
// this process or another, and Open again sees the newer state. The
// incumbent is thus available at any moment of a search, even after a
// crash.
type Store struct {
	dir string
	rec Record
	st  *state
}

// Open reads the search directory dir. It changes nothing on disk and takes
// no lock.
func Open(dir string) (*Store, error) {
	data, err := os.ReadFile(filepath.Join(dir, recordFile))
	if err != nil {
		return nil, fmt.Errorf("search: open %s: %w", dir, err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("search: decode %s: %w", filepath.Join(dir, recordFile), err)
	}
	st, _, err := readJournal(filepath.Join(dir, journalFile))
	if err != nil {
		return nil, err
	}
	return &Store{dir: dir, rec: rec, st: st}, nil
}

// Dir returns the directory.
func (s *Store) Dir() string { return s.dir }

// Record returns the run's record.
func (s *Store) Record() Record { return s.rec }

// History returns every observation and every pending proposal.
func (s *Store) History() *History { return s.st.history() }

// Bound returns the memory bound in bytes, zero for none.
func (s *Store) Bound() int64 { return s.st.bound }

// Elapsed returns the wall time of all sessions so far.
func (s *Store) Elapsed() time.Duration { return s.st.total() }

// Curve returns the learning curve journaled for a model: the complete one
// for a finished model, the partial one for a model cut short.
func (s *Store) Curve(id int) []Epoch { return slices.Clone(s.st.curves[id]) }

// Best returns the incumbent: the successful observation of lowest cost
// (ties to the earlier). The error wraps ErrNoModel when there is none.
func (s *Store) Best() (*Observation, error) {
	b := s.st.history().Best()
	if b == nil {
		return nil, fmt.Errorf("%w: no successful model in %s", ErrNoModel, s.dir)
	}
	return b, nil
}

// Load returns a stored model with its trained weights. The error wraps
// ErrNoModel when the model has no observation, failed or had its weights
// removed by retention, and graph.ErrCorruptWeights when its weights file
// is damaged.
func (s *Store) Load(id int) (*graph.Graph, error) {
	i, ok := s.st.obsIndex[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: model %d not observed", ErrNoModel, id)
	case s.st.obs[i].Failed:
		return nil, fmt.Errorf("%w: model %d failed", ErrNoModel, id)
	case s.st.dropped[id]:
		return nil, fmt.Errorf("%w: weights of model %d removed by retention", ErrNoModel, id)
	}
	return loadModel(s.dir, id)
}

// modelPath returns the path of a model's file with the given extension.
func modelPath(dir string, id int, ext string) string {
	return filepath.Join(dir, modelsDir, fmt.Sprintf("%06d.%s", id, ext))
}

// saveModel writes a trained model's weights and graph, atomically: both
// go to temporary files, which are synced and then renamed, and the
// directory is synced once.
func saveModel(dir string, id int, g *graph.Graph) error {
	var w bytes.Buffer
	if err := g.WriteWeights(&w); err != nil {
		return err
	}
	js, err := g.MarshalIndent()
	if err != nil {
		return fmt.Errorf("search: encode graph of model %d: %w", id, err)
	}
	return writeAtomic([]fileData{
		{modelPath(dir, id, "weights"), w.Bytes(), "weights-half"},
		{modelPath(dir, id, "json"), append(js, '\n'), "graph-half"},
	}, id)
}

// loadModel reads a model's graph and weights.
func loadModel(dir string, id int) (*graph.Graph, error) {
	js, err := os.ReadFile(modelPath(dir, id, "json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: graph file of model %d missing", ErrNoModel, id)
	}
	if err != nil {
		return nil, fmt.Errorf("search: load model %d: %w", id, err)
	}
	g, err := graph.Parse(js)
	if err != nil {
		return nil, fmt.Errorf("search: load model %d: %w", id, err)
	}
	f, err := os.Open(modelPath(dir, id, "weights"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: weights file of model %d missing", ErrNoModel, id)
	}
	if err != nil {
		return nil, fmt.Errorf("search: load model %d: %w", id, err)
	}
	defer f.Close()
	if err := g.ReadWeights(f); err != nil {
		return nil, fmt.Errorf("search: load model %d: %w", id, err)
	}
	return g, nil
}

// fileData is a file to write: its path, content, and the test hook's name
// for the middle of its write.
type fileData struct {
	path  string
	data  []byte
	point string
}

// writeAtomic replaces each file with its data: it writes temporary files
// next to them, syncs them, renames them over the targets and syncs the
// directory of the first, so that each path holds either its old or its
// new content whenever the process dies. All files must share a directory.
func writeAtomic(files []fileData, id int) error {
	var err error
	for i := 0; i < len(files) && err == nil; i++ {
		err = writeTemp(files[i].path+".tmp", files[i].data, files[i].point, id)
	}
	for i := 0; i < len(files) && err == nil; i++ {
		err = os.Rename(files[i].path+".tmp", files[i].path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(files[0].path))
	}
	if err != nil {
		for _, f := range files {
			os.Remove(f.path + ".tmp")
		}
		return fmt.Errorf("search: write %s: %w", files[0].path, err)
	}
	return nil
}

// writeTemp writes and syncs one file.
func writeTemp(path string, data []byte, point string, id int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = writeSplit(f, data, point, id)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// testHook, when set by a test, is called at named points of the loop and
// in the middle of file and journal writes ("weights-half", "graph-half",
// "journal-half"), so that a test can stop the process exactly there.
var testHook func(point string, id int)

// hook calls testHook when a test set it.
func hook(point string, id int) {
	if testHook != nil {
		testHook(point, id)
	}
}

// writeSplit writes data to f; under a test hook it writes the first half,
// calls the hook, then the rest, to let a test kill the process mid-write.
func writeSplit(f *os.File, data []byte, point string, id int) error {
	if testHook != nil && len(data) > 1 {
		if _, err := f.Write(data[:len(data)/2]); err != nil {
			return err
		}
		testHook(point, id)
		data = data[len(data)/2:]
	}
	_, err := f.Write(data)
	return err
}
