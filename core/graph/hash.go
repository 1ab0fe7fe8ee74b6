package graph

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
)

// Hash returns a canonical hash of the architecture (weights ignored). Two
// graphs that compute the same layers on the same inputs hash equal whatever
// order their layers were appended in: each node's hash covers its layer's
// settings and the hashes of its inputs (in order, except for Add, whose
// inputs commute), and the graph's hash is its output node's.
//
// Known limit: a layer computed twice on the same input and a layer computed
// once and read twice hash alike; no morphism builds such graphs. Hash
// assumes a valid graph and returns "" for one without an output.
func (g *Graph) Hash() string {
	out := g.Output()
	order, err := g.TopoOrder()
	if out < 0 || err != nil {
		return ""
	}
	hs := make([][32]byte, g.NumNodes())
	h := sha256.New()
	var buf [8]byte
	putInt := func(v int) {
		binary.LittleEndian.PutUint64(buf[:], uint64(int64(v)))
		h.Write(buf[:])
	}
	h.Write([]byte("input"))
	putInt(g.Input.H)
	putInt(g.Input.W)
	putInt(g.Input.C)
	putInt(g.Classes)
	copy(hs[0][:], h.Sum(nil))
	for _, i := range order {
		l := &g.Layers[i]
		h.Reset()
		h.Write([]byte(l.Kind))
		putInt(l.Units)
		putInt(l.Kernel)
		putInt(l.EffectiveStride())
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(l.Rate))
		h.Write(buf[:])
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(l.L2))
		h.Write(buf[:])
		if l.Skip {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
		in := make([][32]byte, len(l.Inputs))
		for k, u := range l.Inputs {
			in[k] = hs[u]
		}
		if l.Kind == Add && len(in) == 2 && string(in[1][:]) < string(in[0][:]) {
			in[0], in[1] = in[1], in[0]
		}
		for _, x := range in {
			h.Write(x[:])
		}
		copy(hs[i+1][:], h.Sum(nil))
	}
	return hex.EncodeToString(hs[out][:])
}
