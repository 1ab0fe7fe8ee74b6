// Package plots draws the paper's figures with gonum/plot from result values:
// the lowest error so far against models searched and against search time
// with a 95% confidence band over seeds (figures 4b and 4c), error against a
// parameter on a logarithmic axis (figure 4a), and two matrices as heat maps
// side by side (figure 5).
//
// Every figure function takes plain values, checks them (empty, NaN and
// infinite data are errors wrapping [ErrEmpty] or [ErrNotFinite]) and
// returns a *plot.Plot; saving is left to the caller, with [Save] and
// [SaveRow] as helpers that pick the format from the file name. The numbers
// behind the curves are computed by exported functions ([BestSoFar],
// [ModelBand], [TimeBand], [MeanCI]) so that the experiments can write them to
// CSV beside the picture and tests can check them.
//
// Errors and costs are fractions in [0, 1] in the inputs and are drawn as
// percentages.
package plots
