package datasets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Time limits of the go commands run to find a module.
const (
	goEnvTimeout      = 15 * time.Second
	goDownloadTimeout = 5 * time.Minute
)

// moduleDir returns the folder of the module's files (its sub-folder m.sub)
// in the module cache. When the module is not there and downloads are
// allowed it runs `go mod download`. It returns "" and notes why when the
// module cannot be had.
func (l *loader) moduleDir(ctx context.Context, m *goModule) string {
	ref := m.path + "@" + m.version

	// The module cache, from the environment or from the go command.
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		out, err := goCommand(ctx, goEnvTimeout, nil, "env", "GOMODCACHE")
		if err != nil {
			l.note("go env GOMODCACHE", err.Error())
		}
		cache = strings.TrimSpace(string(out))
	}
	if cache != "" {
		dir := filepath.Join(cache, escapeModulePath(m.path)+"@"+m.version, m.sub)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
		l.note(dir, "module "+ref+" not in the module cache")
	}

	// The go command, which may use the network.
	if !l.opts.Download {
		l.note("go mod download "+ref, "not run: Options.Download is false")
		return ""
	}
	l.log.Info("dataset module download", "module", ref)
	out, err := goCommand(ctx, goDownloadTimeout, []string{"GOFLAGS=-mod=mod"}, "mod", "download", "-json", ref)
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil && err == nil {
		err = fmt.Errorf("reading its output: %w", jerr)
	}
	if info.Error != "" {
		err = fmt.Errorf("%s", info.Error)
	}
	if err != nil || info.Dir == "" {
		if err == nil {
			err = fmt.Errorf("no module folder in its output")
		}
		l.note("go mod download "+ref, err.Error())
		return ""
	}
	return filepath.Join(info.Dir, m.sub)
}

// goCommand runs the go command with args and extra environment entries,
// outside any module, and returns its standard output.
func goCommand(ctx context.Context, timeout time.Duration, env []string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return out, err
		}
		return out, fmt.Errorf("%w: %s", err, msg)
	}
	return out, nil
}

// escapeModulePath writes a module path the way the module cache names its
// folders: each upper-case letter becomes '!' and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
