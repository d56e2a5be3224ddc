package local

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
)

// An AWS_IAM route of the local gateway admits what API Gateway admits: a request signed with
// SigV4 for execute-api, within five minutes of its X-Amz-Date, by a principal that may
// execute-api:Invoke. The local system has one such principal: the credentials it runs with.

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	// API Gateway refuses a signature more than five minutes from its clock, so a captured
	// request cannot be replayed later.
	maxSignatureSkew = 5 * time.Minute
)

// errNotSigned and friends say, in the local system's log, why a request got 403.
var (
	errNotSigned     = errors.New("the request is not signed with SigV4")
	errBadSignature  = errors.New("the signature does not match the request")
	errNotAuthorized = errors.New("the principal may not execute-api:Invoke this route")
)

// verifySigV4 checks r (whose body has been read into body) against the region's credentials:
// it re-signs the request, as its signer did, with the secret of the access key it names, and
// compares the signatures.
func verifySigV4(r *http.Request, body []byte, region string, now time.Time, secret func(accessKey string) (string, bool)) error {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), sigV4Algorithm+" ")
	if !ok {
		return errNotSigned
	}
	fields := map[string]string{}
	for _, f := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[3] != "execute-api" || scope[4] != "aws4_request" || fields["Signature"] == "" {
		return fmt.Errorf("%w: credential scope %q", errBadSignature, fields["Credential"])
	}
	accessKey, day, signedRegion := scope[0], scope[1], scope[2]
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || signedAt.Format("20060102") != day {
		return fmt.Errorf("%w: X-Amz-Date %q", errBadSignature, r.Header.Get("X-Amz-Date"))
	}
	if d := now.Sub(signedAt); d > maxSignatureSkew || d < -maxSignatureSkew {
		return fmt.Errorf("%w: signed at %s, %s from now", errBadSignature, signedAt.Format(time.RFC3339), d.Round(time.Second))
	}
	if signedRegion != region {
		return fmt.Errorf("%w: signed for region %s, not %s", errBadSignature, signedRegion, region)
	}

	// The request as its signer saw it: the signed headers only.
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date") {
		return fmt.Errorf("%w: host and x-amz-date are not signed", errBadSignature)
	}
	url := *r.URL
	url.Scheme, url.Host = "http", r.Host
	again, _ := http.NewRequestWithContext(context.Background(), r.Method, url.String(), nil)
	again.Host = r.Host
	for _, h := range signed {
		switch h {
		case "host":
		case "content-length":
			again.ContentLength = int64(len(body))
		default:
			for _, v := range r.Header.Values(h) {
				again.Header.Add(h, v)
			}
		}
	}
	key, known := secret(accessKey)
	if !known {
		// AWS knows every access key; here a key that is not the local system's belongs to a
		// principal that has no permission.
		return fmt.Errorf("%w: access key %s", errNotAuthorized, accessKey)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: key},
		again, hex.EncodeToString(sum[:]), "execute-api", region, signedAt); err != nil {
		return fmt.Errorf("re-signing: %w", err)
	}
	want := map[string]string{}
	for _, f := range strings.Split(strings.TrimPrefix(again.Header.Get("Authorization"), sigV4Algorithm+" "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		want[k] = v
	}
	if want["SignedHeaders"] != fields["SignedHeaders"] || !hmac.Equal([]byte(want["Signature"]), []byte(fields["Signature"])) {
		return errBadSignature
	}
	return nil
}

// localSecret is the secret of the one principal the local system knows: its own credentials.
func localSecret(accessKey string) (string, bool) {
	if accessKey == localstate.AccessKeyID {
		return localstate.SecretAccessKey, true
	}
	return "", false
}

// SignRecordRequest signs req (whose body is body) as the local system's principal, for a
// route that requires AWS_IAM: what a tool or an operator does with their own credentials.
func SignRecordRequest(req *http.Request, body []byte, region string) error {
	if region == "" {
		region = "us-east-1"
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(req.Context(), aws.Credentials{AccessKeyID: localstate.AccessKeyID, SecretAccessKey: localstate.SecretAccessKey},
		req, hex.EncodeToString(sum[:]), "execute-api", region, time.Now())
}

// setAuthorization records a route's AuthorizationType (NONE, or absent, admits anyone).
func (a *httpAPI) setAuthorization(key, authorization string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if authorization == "" || authorization == "NONE" {
		delete(a.auth, key)
		return
	}
	a.auth[key] = authorization
}
