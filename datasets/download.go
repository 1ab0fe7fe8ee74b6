package datasets

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// stallTimeout is how long a download may go without receiving a byte
// before it is abandoned.
const stallTimeout = 60 * time.Second

// errStalled is the cause given to a download's context when it stalls.
var errStalled = errors.New("transfer stalled")

// client returns the HTTP client of downloads.
func (l *loader) client() *http.Client {
	if l.opts.Client != nil {
		return l.opts.Client
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: tr}
}

// download fetches the missing files of the data set into dir, the data
// set's cache folder. Each file appears there only once complete and
// verified.
func (l *loader) download(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		l.note(dir, err.Error())
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	if l.sp.archive != nil {
		return l.downloadArchive(ctx, dir)
	}
	for _, f := range l.files() {
		if l.find(dir, f) != "" {
			continue // there already; verified when decoded
		}
		if err := l.downloadIDX(ctx, dir, f); err != nil {
			return err
		}
	}
	return nil
}

// downloadIDX fetches one IDX file from the first of its addresses that
// serves the right content.
func (l *loader) downloadIDX(ctx context.Context, dir string, f fileSpec) error {
	if len(f.urls) == 0 {
		l.note(f.name, "no download address")
		return fmt.Errorf("datasets: %s: no download address for %s", l.sp.name, f.name)
	}
	dst := filepath.Join(dir, f.name+".gz")
	var errs []error
	for _, u := range f.urls {
		verify := func(tmp string) error {
			file, err := os.Open(tmp)
			if err != nil {
				return fmt.Errorf("datasets: %w", err)
			}
			defer file.Close()
			h := sha256.New()
			if _, err := readIDX(file, h); err != nil {
				return withPlace(err, l.sp.name, u)
			}
			return checkSum(h.Sum(nil), f, l.sp.name, u)
		}
		err := l.fetch(ctx, u, dst, "", verify)
		if err == nil {
			return nil
		}
		l.note(u, err.Error())
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

// downloadArchive fetches the data set's archive, checks its SHA-256 and
// extracts the data set's files into dir.
func (l *loader) downloadArchive(ctx context.Context, dir string) error {
	a := l.sp.archive
	arch := filepath.Join(dir, a.file)
	if err := l.fetch(ctx, a.url, arch, a.sha256, nil); err != nil {
		l.note(a.url, err.Error())
		return err
	}
	defer os.Remove(arch)
	if err := l.extract(arch, dir); err != nil {
		l.note(arch, err.Error())
		return err
	}
	return nil
}

// fetch downloads url to dst atomically: into a temporary file beside dst,
// checked against wantSHA (the hex SHA-256 of the bytes, if not "") and by
// verify (if not nil), then renamed to dst. On any error nothing is left.
func (l *loader) fetch(ctx context.Context, url, dst, wantSHA string, verify func(tmp string) error) (err error) {
	fail := func(err error) error {
		return fmt.Errorf("datasets: %s: download %s: %w", l.sp.name, url, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".part-*")
	if err != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	// Request, with a watchdog that cancels a stalled transfer.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(l.stall, func() { cancel(errStalled) })
	defer watchdog.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(err)
	}
	l.log.Info("dataset download", "url", url, "to", dst)
	resp, err := l.client().Do(req)
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
			err = fmt.Errorf("%w: no response for %v", cause, l.stall)
		}
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("http status %s", resp.Status))
	}

	// Body into the temporary file, hashed and shown as it comes.
	h := sha256.New()
	bar := newProgress(l.opts.Progress, l.sp.name+" "+path.Base(req.URL.Path), resp.ContentLength)
	body := &watchedReader{r: resp.Body, watchdog: watchdog, every: l.stall}
	n, err := io.Copy(io.MultiWriter(tmp, h, bar), body)
	bar.finish()
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
			return fail(fmt.Errorf("%w: no data for %v after %d bytes", cause, l.stall, n))
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			detail := fmt.Sprintf("connection closed after %d bytes", n)
			if resp.ContentLength >= 0 {
				detail = fmt.Sprintf("connection closed after %d of %d bytes", n, resp.ContentLength)
			}
			return &CorruptError{Dataset: l.sp.name, Path: url, Kind: ErrTruncated, Detail: detail}
		}
		return fail(fmt.Errorf("after %d bytes: %w", n, err))
	}
	if resp.ContentLength >= 0 && n < resp.ContentLength {
		return &CorruptError{Dataset: l.sp.name, Path: url, Kind: ErrTruncated,
			Detail: fmt.Sprintf("got %d of %d bytes", n, resp.ContentLength)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); wantSHA != "" && got != wantSHA {
		return &CorruptError{Dataset: l.sp.name, Path: url, Kind: ErrChecksum,
			Detail: fmt.Sprintf("sha-256 %s, want %s", got, wantSHA)}
	}

	// Make it durable, verify, and move it into place.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	if verify != nil {
		if err := verify(tmp.Name()); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	l.log.Info("dataset downloaded", "url", url, "bytes", n)
	return nil
}

// watchedReader pushes a watchdog timer back on every read that returns
// data.
type watchedReader struct {
	r        io.Reader
	watchdog *time.Timer
	every    time.Duration
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.watchdog.Reset(w.every)
	}
	return n, err
}

// extract writes the data set's files found in the .tar.gz archive at arch
// into dir, each checked against its recorded SHA-256. The files are first
// extracted into a staging folder inside dir and moved into place only when
// all of them are there and verified.
func (l *loader) extract(arch, dir string) error {
	stage, err := os.MkdirTemp(dir, ".extract-*")
	if err != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	defer os.RemoveAll(stage)
	if err := l.extractTo(arch, stage); err != nil {
		return err
	}
	for _, fs := range l.files() {
		if err := os.Rename(filepath.Join(stage, fs.name), filepath.Join(dir, fs.name)); err != nil {
			return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
		}
	}
	return nil
}

// extractTo writes the data set's files found in the archive into dir.
func (l *loader) extractTo(arch, dir string) error {
	f, err := os.Open(arch)
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return withPlace(gzipErr(err), l.sp.name, arch)
	}
	defer zr.Close()
	want := map[string]fileSpec{}
	for _, fs := range l.files() {
		want[fs.name] = fs
	}

	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return withPlace(readErr(err, "archive"), l.sp.name, arch)
		}
		name := strings.TrimPrefix(path.Clean(hdr.Name), "./")
		fs, ok := want[strings.TrimPrefix(name, l.sp.archive.prefix)]
		if !ok || hdr.Typeflag != tar.TypeReg || !strings.HasPrefix(name, l.sp.archive.prefix) {
			continue
		}
		if err := l.extractFile(tr, fs, filepath.Join(dir, fs.name), arch+":"+name); err != nil {
			return err
		}
		delete(want, fs.name)
	}
	if len(want) > 0 {
		var names []string
		for _, fs := range l.files() {
			if _, ok := want[fs.name]; ok {
				names = append(names, l.sp.archive.prefix+fs.name)
			}
		}
		return &CorruptError{Dataset: l.sp.name, Path: arch, Kind: ErrTruncated,
			Detail: "archive lacks " + strings.Join(names, ", ")}
	}
	return nil
}

// extractFile copies one archive member to dst, checking its SHA-256;
// where names the member in errors.
func (l *loader) extractFile(r io.Reader, fs fileSpec, dst, where string) error {
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		return fmt.Errorf("datasets: %s: %w", l.sp.name, cerr)
	}
	if err != nil {
		return withPlace(readErr(err, "archive member"), l.sp.name, where)
	}
	return checkSum(h.Sum(nil), fs, l.sp.name, where)
}
