package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunJSON(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-synthetic", "-steps", "2", "-batch", "8", "-json"}, &out, &errb)
	require.NoError(t, err, errb.String())
	var r map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &r), out.String())
	for _, k := range []string{"train_img_per_s", "infer_img_per_s", "peak_rss_mb"} {
		v, ok := r[k].(float64)
		require.True(t, ok, "key %s in %s", k, out.String())
		assert.Greater(t, v, 0.0, k)
	}
	assert.NotEmpty(t, r["backend"])
	assert.Equal(t, "synthetic", r["data"])
}

func TestRunText(t *testing.T) {
	var out, errb bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-synthetic", "-steps", "1", "-batch", "4"}, &out, &errb))
	for _, want := range []string{"backend", "train img/s", "inference img/s", "peak RSS MB"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-steps", "0"}, {"-batch", "-1"}, {"-threads", "-2"}} {
		var out, errb bytes.Buffer
		err := run(context.Background(), args, &out, &errb)
		require.Error(t, err, "%v", args)
		assert.True(t, strings.Contains(err.Error(), strings.TrimPrefix(args[0], "-")), "%v: %v", args, err)
	}
}
