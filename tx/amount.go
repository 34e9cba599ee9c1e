package tx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidAmount reports an amount string that is not a positive decimal
// number of coins with at most 8 decimal places, within MaxMoney.
var ErrInvalidAmount = errors.New("invalid amount")

// ParseAmount converts a decimal number of coins ("1.5", "0.00000001") into
// units without floating point. Zero, negative, over-precise and too large
// amounts are refused.
func ParseAmount(s string) (int64, error) {
	orig := s
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrInvalidAmount)
	}
	if s[0] == '-' {
		return 0, fmt.Errorf("%w %q: must be positive", ErrInvalidAmount, orig)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("%w %q: not a number", ErrInvalidAmount, orig)
	}
	if len(frac) > 8 {
		return 0, fmt.Errorf("%w %q: more than 8 decimal places", ErrInvalidAmount, orig)
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%w %q: not a decimal number of coins", ErrInvalidAmount, orig)
			}
		}
	}
	if len(whole) > 9 {
		return 0, fmt.Errorf("%w %q: above the money supply", ErrInvalidAmount, orig)
	}
	var w, f int64
	if whole != "" {
		w, _ = strconv.ParseInt(whole, 10, 64)
	}
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 8-len(frac)), 10, 64)
	}
	units := w*UnitsPerCoin + f
	switch {
	case units == 0:
		return 0, fmt.Errorf("%w %q: must be greater than zero", ErrInvalidAmount, orig)
	case units > MaxMoney:
		return 0, fmt.Errorf("%w %q: above the money supply", ErrInvalidAmount, orig)
	}
	return units, nil
}

// FormatAmount renders units as a decimal number of coins with 8 places.
func FormatAmount(units int64) string {
	sign := ""
	if units < 0 {
		sign, units = "-", -units
	}
	return fmt.Sprintf("%s%d.%08d", sign, units/UnitsPerCoin, units%UnitsPerCoin)
}
