// Package graph is the computational graph of a network in the search space
// of section 2 of the paper: a directed acyclic graph whose nodes are tensors
// and whose edges are layers, with one main chain and skip connections.
//
// Node 0 is the input tensor. Layer i produces node i+1, so node ids are
// stable: morphisms only append layers and rewire inputs, and an id names the
// same tensor before and after. The main chain is the path found by walking
// back from the output through each layer's first input; every other layer
// belongs to a skip connection.
//
// A Graph is either a bare architecture (no Params on its layers) or a model
// that carries weights. Shape inference, validation, the canonical hash,
// the parameter count and the memory estimate only read the architecture.
// Forward is the reference forward pass: plain float64, inference mode, the
// oracle that morphisms and the trainer are tested against.
package graph
