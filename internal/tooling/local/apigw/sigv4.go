package apigw

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
)

// An AWS_IAM route of the local gateway admits what API Gateway admits: a request signed with
// SigV4 for execute-api, within five minutes of its X-Amz-Date, by a principal that may
// execute-api:Invoke (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html). The local system has one
// such principal: the credentials it runs with.

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
