package graph

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
)

// InitWeights gives fresh parameters to every layer that needs them and has
// none, drawn from rng: He-normal weights for conv and dense layers (standard
// deviation sqrt(2/fan_in)), zero biases, and batch norm with gamma 1, beta 0,
// running mean 0 and variance 1. Layers that already carry weights, such as
// those a morphism transferred, keep them.
func (g *Graph) InitWeights(rng *rand.Rand) error {
	shapes, err := g.Shapes()
	if err != nil {
		return err
	}
	for i := range g.Layers {
		l := &g.Layers[i]
		if l.Params != nil || !needsParams(l.Kind) {
			continue
		}
		in := shapes[l.Inputs[0]]
		p := &Params{}
		switch l.Kind {
		case Conv2D, Dense:
			fanIn := in.C
			if l.Kind == Conv2D {
				fanIn *= l.Kernel * l.Kernel
			}
			p.W = make([]float32, fanIn*l.Units)
			std := math.Sqrt(2 / float64(fanIn))
			for j := range p.W {
				p.W[j] = float32(rng.NormFloat64() * std)
			}
			p.B = make([]float32, l.Units)
		case BatchNorm:
			p.Gamma, p.Beta = fill(in.C, 1), fill(in.C, 0)
			p.Mean, p.Var = fill(in.C, 0), fill(in.C, 1)
		}
		l.Params = p
	}
	return nil
}

func fill(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// weightsMagic starts every weights file; the version follows it.
const weightsMagic = "MNWT"

// ErrCorruptWeights is returned when a weights file is truncated, fails its
// checksum or does not fit the graph.
var ErrCorruptWeights = errors.New("graph: corrupt weights")

// WriteWeights writes the parameters of g in a little-endian binary form:
// a header, then for each layer its six arrays, then a CRC-32 of everything
// before it, so that a half-written file is detected on reading.
func (g *Graph) WriteWeights(w io.Writer) error {
	if !g.HasWeights() {
		return ErrNoWeights
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriter(io.MultiWriter(w, crc))
	put := func(v uint32) { _ = binary.Write(bw, binary.LittleEndian, v) }
	bw.WriteString(weightsMagic)
	put(1)
	put(uint32(len(g.Layers)))
	for _, l := range g.Layers {
		p := l.Params
		if p == nil {
			p = &Params{}
		}
		for _, arr := range [][]float32{p.W, p.B, p.Gamma, p.Beta, p.Mean, p.Var} {
			put(uint32(len(arr)))
			if err := binary.Write(bw, binary.LittleEndian, arr); err != nil {
				return fmt.Errorf("graph: write weights: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("graph: write weights: %w", err)
	}
	return binary.Write(w, binary.LittleEndian, crc.Sum32())
}

// ReadWeights reads parameters written by WriteWeights into g, replacing
// any it had. The file must match g's layers and shapes; otherwise, or when
// the file is truncated or its checksum fails, the error wraps
// ErrCorruptWeights and g is left unchanged.
func (g *Graph) ReadWeights(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("graph: read weights: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorruptWeights, fmt.Sprintf(format, args...))
	}
	if len(data) < len(weightsMagic)+12 || string(data[:4]) != weightsMagic {
		return bad("missing header (%d bytes)", len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return bad("checksum mismatch: file truncated or damaged")
	}
	pos := 4
	get := func() (uint32, bool) {
		if pos+4 > len(body) {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(body[pos:])
		pos += 4
		return v, true
	}
	if v, _ := get(); v != 1 {
		return bad("version %d, want 1", v)
	}
	if n, _ := get(); int(n) != len(g.Layers) {
		return bad("file has %d layers, graph has %d", n, len(g.Layers))
	}
	params := make([]*Params, len(g.Layers))
	for i := range g.Layers {
		var arrs [6][]float32
		for k := range arrs {
			n, ok := get()
			if !ok || pos+4*int(n) > len(body) {
				return bad("truncated at layer %d", i)
			}
			arr := make([]float32, n)
			for j := range arr {
				arr[j] = math.Float32frombits(binary.LittleEndian.Uint32(body[pos+4*j:]))
			}
			pos += 4 * int(n)
			if n > 0 {
				arrs[k] = arr
			}
		}
		if needsParams(g.Layers[i].Kind) {
			params[i] = &Params{W: arrs[0], B: arrs[1], Gamma: arrs[2], Beta: arrs[3], Mean: arrs[4], Var: arrs[5]}
		}
	}
	if pos != len(body) {
		return bad("%d trailing bytes", len(body)-pos)
	}
	shapes, err := g.Shapes()
	if err != nil {
		return err
	}
	old := make([]*Params, len(g.Layers))
	for i := range g.Layers {
		old[i], g.Layers[i].Params = g.Layers[i].Params, params[i]
	}
	for i := range g.Layers {
		if err := g.checkParams(i, shapes); err != nil {
			for j := range g.Layers {
				g.Layers[j].Params = old[j]
			}
			return fmt.Errorf("%w: %w", ErrCorruptWeights, err)
		}
	}
	return nil
}
