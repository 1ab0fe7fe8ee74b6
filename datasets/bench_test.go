package datasets

import (
	"bytes"
	"testing"
)

// BenchmarkDecodeIDX decodes 10,000 gzip-compressed 28x28 images and
// their labels, the size of the MNIST test set.
func BenchmarkDecodeIDX(b *testing.B) {
	img, lab, _, _ := synthIDX(10000, 28, 28, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	gi, gl := gz(b, img), gz(b, lab)
	b.SetBytes(int64(len(img)))
	for b.Loop() {
		if _, err := DecodeIDX(bytes.NewReader(gi), bytes.NewReader(gl)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeCIFAR10 decodes 1,000 CIFAR-10 records.
func BenchmarkDecodeCIFAR10(b *testing.B) {
	raw := synthCIFAR(1000, 0)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := DecodeCIFAR10(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSplit splits 60,000 examples 80/20.
func BenchmarkSplit(b *testing.B) {
	counts := make([]int, 10)
	for i := range counts {
		counts[i] = 6000
	}
	s := idSet(counts)
	for b.Loop() {
		s.Split(0.8, 1)
	}
}

// BenchmarkLoadReal finds, verifies and decodes the real MNIST and
// Fashion-MNIST files where they are installed on this machine.
func BenchmarkLoadReal(b *testing.B) {
	for _, name := range []string{"mnist", "fashion"} {
		b.Run(name, func(b *testing.B) {
			cache := b.TempDir()
			for b.Loop() {
				if _, _, err := Load(name, Options{CacheDir: cache}); err != nil {
					b.Skip(err)
				}
			}
		})
	}
}
