package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/smeserver/smeforge/internal/blob"
	"github.com/smeserver/smeforge/internal/catalog"
)

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{catalog.Errorf(catalog.ErrNotFound, "there is no channel x"), http.StatusNotFound},
		{fmt.Errorf("opening: %w", blob.ErrNotFound), http.StatusNotFound},
		{catalog.Errorf(catalog.ErrConflict, "x"), http.StatusConflict},
		{catalog.Errorf(catalog.ErrBusy, "x"), http.StatusConflict},
		{catalog.Errorf(catalog.ErrInvalid, "x"), http.StatusBadRequest},
		{catalog.Errorf(catalog.ErrTooLarge, "x"), http.StatusRequestEntityTooLarge},
		{&http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge},
		{catalog.Errorf(errUnauthorized, "x"), http.StatusUnauthorized},
		{catalog.Errorf(errForbidden, "x"), http.StatusForbidden},
		{catalog.Errorf(errMethod, "x"), http.StatusMethodNotAllowed},
		{errors.New("disk on fire"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := statusOf(tt.err); got != tt.want {
			t.Errorf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorMessagesAreSentences(t *testing.T) {
	err := catalog.Errorf(errUnauthorized, "the API token is unknown or revoked")
	if err.Error() != "the API token is unknown or revoked" {
		t.Errorf("message = %q: the kind must not leak into it", err.Error())
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/packages?q=x": "/packages?q=x", "": "/", "//evil.example": "/", "https://evil.example": "/", `/\evil`: "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
