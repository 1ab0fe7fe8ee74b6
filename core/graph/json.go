package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalIndent returns the JSON form of the architecture: readable, stable
// (same graph, same bytes) and free of weights.
func (g *Graph) MarshalIndent() ([]byte, error) {
	return json.MarshalIndent(g, "", "  ")
}

// Parse decodes the JSON form of a graph and validates it. Unknown fields,
// unknown layer kinds and invalid graphs are errors naming what was wrong.
func Parse(data []byte) (*Graph, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g Graph
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("graph: decode json: %w", err)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}
