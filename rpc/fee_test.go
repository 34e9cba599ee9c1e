package rpc

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
)

// estimator is a backend that also estimates by target.
type estimator struct{ backend }

func (estimator) EstimateFee(_ context.Context, target int) (*FeeRateResult, error) {
	return &FeeRateResult{FeeRate: int64(10 * target), MinFeeRate: 1, Target: target}, nil
}

func TestFeeEstimateByTarget(t *testing.T) {
	srv := httptest.NewServer(NewHandler(estimator{}, "secret", quiet))
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, "secret")
	ctx := context.Background()
	if r, err := c.EstimateFee(ctx, 3); err != nil || r.FeeRate != 30 || r.Target != 3 {
		t.Fatalf("estimate: %+v %v", r, err)
	}
	var re *Error
	for _, target := range []int{0, MaxFeeTarget + 1} {
		if _, err := c.EstimateFee(ctx, target); !errors.As(err, &re) || re.Status != 400 {
			t.Fatalf("target %d: %v", target, err)
		}
	}
	// A backend without an estimator says so; the plain fee rate still works.
	_, plain := server(t)
	if _, err := plain.EstimateFee(ctx, 2); !errors.As(err, &re) || re.Status != 404 {
		t.Fatalf("no estimator: %v", err)
	}
	if r, err := plain.FeeRate(ctx); err != nil || r.FeeRate != 1 {
		t.Fatalf("fee rate: %v", err)
	}
}
