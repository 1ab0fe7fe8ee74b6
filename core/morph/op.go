package morph

// Kind names one of the four graph-level morphisms of section 3.3.
type Kind string

// The morphism kinds.
const (
	Deepen     Kind = "deepen"      // insert a layer after a node
	Widen      Kind = "widen"       // more filters or units at a node
	AddSkip    Kind = "add-skip"    // additive connection from a node to a later one
	ConcatSkip Kind = "concat-skip" // concatenative connection from a node to a later one
)

// Op is one morphism, a plain value that serialises to JSON and replays on
// a copy of the graph it was drawn for to give the identical graph.
type Op struct {
	Kind Kind `json:"op"`
	// Node is u: the node after which to deepen, the node to widen, or the
	// start of a skip connection.
	Node int `json:"node"`
	// To is v, the end of a skip connection.
	To int `json:"to,omitempty"`
	// Units is the new width of a widen, or the width of a dense layer
	// inserted by deepen (conv layers inserted by deepen keep the width).
	Units int `json:"units,omitempty"`
	// Kernel is the kernel size of a conv layer inserted by deepen.
	Kernel int `json:"kernel,omitempty"`
}
