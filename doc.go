// Package morphnas is the three-line API of the harness (section 4.2 of the
// paper): construct an image classifier, fit it on images and labels, and
// predict.
//
//	clf, err := morphnas.NewImageClassifier(morphnas.Options{Dir: "search", Time: time.Hour})
//	err = clf.Fit(ctx, images, labels)
//	predicted, err := clf.Predict(images)
//
// Fit runs a neural architecture search (the paper's method by default) in
// Dir, which survives a crash: calling Fit again with the same Dir resumes
// the search. The best model is exported, with its input normalisation and
// label mapping, in one file that Load reads back in any process.
package morphnas
