package morphnas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/train"
	"github.com/morphnas/morphnas/datasets"
)

// modelFormat names the version of the export file.
const modelFormat = "morphnas-model/1"

// Model is an exported network: the architecture with its weights, the
// normalisation its inputs need, and the names of its classes.
type Model struct {
	Graph  *graph.Graph
	Norm   datasets.Norm
	Labels []string
	// ModelID is the model's id in its search directory and Metric its
	// validation accuracy there.
	ModelID int
	Metric  float64
	// Retrained says whether the weights were trained further on the
	// training and validation data after the search.
	Retrained bool
}

// modelFile is the JSON form of a Model; the weights are graph's binary
// form, base64-encoded by encoding/json.
type modelFile struct {
	Format    string          `json:"format"`
	ModelID   int             `json:"model_id"`
	Metric    float64         `json:"metric"`
	Retrained bool            `json:"retrained"`
	Labels    []string        `json:"labels"`
	Norm      datasets.Norm   `json:"norm"`
	Graph     json.RawMessage `json:"graph"`
	Weights   []byte          `json:"weights"`
}

// Save writes the model to path as one JSON file, atomically: a temporary
// file in the same directory, synced, then renamed.
func (m *Model) Save(path string) error {
	arch, err := m.Graph.MarshalIndent()
	if err != nil {
		return fmt.Errorf("morphnas: save: %w", err)
	}
	var w bytes.Buffer
	if err := m.Graph.WriteWeights(&w); err != nil {
		return fmt.Errorf("morphnas: save: %w", err)
	}
	data, err := json.Marshal(modelFile{
		Format: modelFormat, ModelID: m.ModelID, Metric: m.Metric, Retrained: m.Retrained,
		Labels: m.Labels, Norm: m.Norm, Graph: arch, Weights: w.Bytes(),
	})
	if err != nil {
		return fmt.Errorf("morphnas: save: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return fmt.Errorf("morphnas: save: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("morphnas: save %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("morphnas: save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("morphnas: save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("morphnas: save: %w", err)
	}
	return nil
}

// Load reads a model written by Save or ImageClassifier.Export.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("morphnas: load: %w", err)
	}
	var f modelFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("morphnas: load %s: %w", path, err)
	}
	if f.Format != modelFormat {
		return nil, fmt.Errorf("morphnas: load %s: format %q, want %q", path, f.Format, modelFormat)
	}
	g, err := graph.Parse(f.Graph)
	if err != nil {
		return nil, fmt.Errorf("morphnas: load %s: %w", path, err)
	}
	if err := g.ReadWeights(bytes.NewReader(f.Weights)); err != nil {
		return nil, fmt.Errorf("morphnas: load %s: %w", path, err)
	}
	if len(f.Labels) != g.Classes {
		return nil, fmt.Errorf("morphnas: load %s: %d labels for %d classes", path, len(f.Labels), g.Classes)
	}
	seen := make(map[string]bool, len(f.Labels))
	for _, l := range f.Labels {
		if seen[l] {
			return nil, fmt.Errorf("morphnas: load %s: label %q appears twice", path, l)
		}
		seen[l] = true
	}
	if err := f.Norm.Validate(); err != nil || len(f.Norm.Mean) != g.Input.C {
		return nil, fmt.Errorf("morphnas: load %s: bad normalisation for %d channels: %v", path, g.Input.C, err)
	}
	return &Model{Graph: g, Norm: f.Norm, Labels: f.Labels, ModelID: f.ModelID, Metric: f.Metric, Retrained: f.Retrained}, nil
}

// Probabilities returns, for each image, the probability of each class, in
// the order of Labels.
func (m *Model) Probabilities(x Images) ([]float32, error) {
	if err := x.check("predict"); err != nil {
		return nil, err
	}
	if in := m.Graph.Input; x.H != in.H || x.W != in.W || x.C != in.C {
		return nil, fmt.Errorf("morphnas: predict: images are %dx%dx%d, the model takes %v", x.H, x.W, x.C, in)
	}
	for i, v := range x.Pixels {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("morphnas: predict: pixel value %d (image %d) is %v", i, i/(x.H*x.W*x.C), v)
		}
	}
	pix := append([]float32(nil), x.Pixels...)
	m.Norm.Apply(pix, x.C)
	p, err := train.Predict(m.Graph, pix, x.N, train.Config{})
	if err != nil {
		return nil, fmt.Errorf("morphnas: predict: %w", err)
	}
	return p, nil
}

// Predict returns the class name of highest probability for each image.
func (m *Model) Predict(x Images) ([]string, error) {
	p, err := m.Probabilities(x)
	if err != nil {
		return nil, err
	}
	k := len(m.Labels)
	if len(p) != x.N*k {
		return nil, errors.New("morphnas: predict: output size does not match the labels")
	}
	out := make([]string, x.N)
	for i := range out {
		best := 0
		for j := 1; j < k; j++ {
			if p[i*k+j] > p[i*k+best] {
				best = j
			}
		}
		out[i] = m.Labels[best]
	}
	return out, nil
}
