// Package hyper is the space of 16 hyperparameters of a three-layer CNN
// that the conventional baselines of section 5 (searchers/spmt and
// searchers/smac) tune, with its encoding to [0, 1]^16, and the expected
// improvement both maximise. It lives in core because searchers never
// import each other.
package hyper
