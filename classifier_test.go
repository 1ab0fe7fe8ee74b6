package morphnas

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/search"
)

// stripes makes n 8x8 one-channel images of three easy classes: a bright
// row, a bright column, or a bright diagonal, at a random place, over noise.
func stripes(n int, seed uint64) (Images, []string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := Images{Pixels: make([]float32, n*64), N: n, H: 8, W: 8, C: 1}
	labels := make([]string, n)
	names := []string{"row", "column", "diagonal"}
	for i := range n {
		img := x.Pixels[i*64 : (i+1)*64]
		for j := range img {
			img[j] = float32(rng.Float64() * 0.3)
		}
		k, p := i%3, rng.IntN(8)
		for j := range 8 {
			switch k {
			case 0:
				img[p*8+j] += 1
			case 1:
				img[j*8+p] += 1
			case 2:
				img[j*8+j] += 1
			}
		}
		labels[i] = names[k]
	}
	return x, labels
}

// When this variable names a model file, the test binary only loads it,
// predicts on the stripes and writes the result to the file named by
// predictOutEnv: the "new process" of the export test.
const (
	predictModelEnv = "MORPHNAS_TEST_PREDICT_MODEL"
	predictOutEnv   = "MORPHNAS_TEST_PREDICT_OUT"
)

type prediction struct {
	Labels []string  `json:"labels"`
	Probs  []float32 `json:"probs"`
}

func TestMain(m *testing.M) {
	if path := os.Getenv(predictModelEnv); path != "" {
		os.Exit(predictInChild(path, os.Getenv(predictOutEnv)))
	}
	os.Exit(m.Run())
}

func predictInChild(modelPath, outPath string) int {
	m, err := Load(modelPath)
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 2
	}
	x, _ := stripes(60, 99)
	labels, err := m.Predict(x)
	if err != nil {
		return 3
	}
	probs, err := m.Probabilities(x)
	if err != nil {
		return 4
	}
	data, _ := json.Marshal(prediction{labels, probs})
	if os.WriteFile(outPath, data, 0o644) != nil {
		return 5
	}
	return 0
}

func TestFitPredictExportResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains several small networks")
	}
	dir := t.TempDir()
	x, labels := stripes(300, 1)
	opts := Options{Dir: filepath.Join(dir, "search"), MaxModels: 3, MaxEpochs: 4, Patience: 2, Time: 5 * time.Minute, Seed: 7}
	clf, err := NewImageClassifier(opts)
	require.NoError(t, err)
	require.NoError(t, clf.Fit(context.Background(), x, labels))
	require.Equal(t, 3, clf.Result.Trained)

	// The stripes are easy: the best model must classify fresh ones well.
	test, want := stripes(60, 99)
	got, err := clf.Predict(test)
	require.NoError(t, err)
	correct := 0
	for i := range got {
		if got[i] == want[i] {
			correct++
		}
	}
	assert.GreaterOrEqual(t, correct, 50, "accuracy %d/60", correct)

	// Export, then predict in a new process: identical labels and
	// probabilities.
	modelPath := filepath.Join(dir, "model.json")
	require.NoError(t, clf.Export(modelPath))
	probs, err := clf.Model().Probabilities(test)
	require.NoError(t, err)
	outPath := filepath.Join(dir, "child.json")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), predictModelEnv+"="+modelPath, predictOutEnv+"="+outPath)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child: %s", out)
	data, err := os.ReadFile(outPath)
	require.NoError(t, err)
	var child prediction
	require.NoError(t, json.Unmarshal(data, &child))
	assert.Equal(t, got, child.Labels)
	assert.Equal(t, probs, child.Probs)

	loaded, err := Load(modelPath)
	require.NoError(t, err)
	nan := test
	nan.Pixels = slices.Clone(test.Pixels)
	nan.Pixels[70] = float32(math.NaN())
	_, err = loaded.Predict(nan)
	assert.ErrorContains(t, err, "pixel value 70 (image 1) is NaN")
	assert.False(t, loaded.Retrained)
	assert.Equal(t, clf.Result.Best.ID, loaded.ModelID)
	assert.Equal(t, []string{"column", "diagonal", "row"}, loaded.Labels)

	// Fitting again on the same directory resumes: the budget is spent, so
	// nothing is retrained and the same model comes back.
	again, err := NewImageClassifier(opts)
	require.NoError(t, err)
	require.NoError(t, again.Fit(context.Background(), x, labels))
	assert.Equal(t, 0, again.Result.Trained)
	assert.Equal(t, clf.Result.Best.ID, again.Model().ModelID)

	// Raising the budget on resume trains more, and a final retraining is
	// recorded in the export.
	opts.MaxModels, opts.FinalEpochs = 4, 1
	more, err := NewImageClassifier(opts)
	require.NoError(t, err)
	require.NoError(t, more.Fit(context.Background(), x, labels))
	assert.Equal(t, 1, more.Result.Trained)
	assert.True(t, more.Model().Retrained)

	// Other data on the same directory is refused, not served the old
	// model: other pixels, and the same pixels with other labels.
	other, otherLabels := stripes(300, 2)
	clf, err = NewImageClassifier(opts)
	require.NoError(t, err)
	err = clf.Fit(context.Background(), other, otherLabels)
	require.ErrorIs(t, err, search.ErrMismatch)
	assert.ErrorContains(t, err, "holds a search of other data")
	renamed := slices.Clone(labels)
	renamed[0] = "other"
	assert.ErrorIs(t, clf.Fit(context.Background(), x, renamed), search.ErrMismatch)
}

func TestOptionsAndInputErrors(t *testing.T) {
	_, err := NewImageClassifier(Options{})
	assert.ErrorContains(t, err, "Dir is required")
	_, err = NewImageClassifier(Options{Dir: "x", Searcher: "nope"})
	assert.ErrorContains(t, err, `unknown searcher "nope"`)
	_, err = NewImageClassifier(Options{Dir: "x", Validation: 1.5})
	assert.ErrorContains(t, err, "Validation 1.5")

	clf, err := NewImageClassifier(Options{Dir: t.TempDir()})
	require.NoError(t, err)
	x, labels := stripes(30, 1)
	assert.ErrorContains(t, clf.Fit(context.Background(), x, labels[:29]), "29 labels for 30 images")
	bad := x
	bad.Pixels = bad.Pixels[:10]
	assert.ErrorContains(t, clf.Fit(context.Background(), bad, labels), "10 pixel values")
	same := make([]string, 30)
	assert.ErrorContains(t, clf.Fit(context.Background(), x, same), "1 distinct labels")
	_, err = clf.Predict(x)
	assert.ErrorContains(t, err, "call Fit first")
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.json"))
	assert.ErrorContains(t, err, "morphnas: load")
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"format":"other"}`), 0o644))
	_, err = Load(bad)
	assert.ErrorContains(t, err, `format "other"`)
	require.NoError(t, os.WriteFile(bad, []byte(`{"format":`), 0o644))
	_, err = Load(bad)
	assert.ErrorContains(t, err, "bad.json")
}
