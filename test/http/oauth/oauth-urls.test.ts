import { describe, expect, it } from 'vitest';
import { oauthOffered, oauthUrls, publicUrlOf } from '../../../src/http/oauth/oauth-urls.js';

describe('the URLs the server names itself by', () => {
  it('is reached at HTTP_PUBLIC_URL when it is set, else where it listens', () => {
    expect(publicUrlOf('https://narrative.example.com', '127.0.0.1', 8765)).toBe('https://narrative.example.com');
    expect(publicUrlOf(undefined, '127.0.0.1', 8765)).toBe('http://127.0.0.1:8765');
    expect(publicUrlOf(undefined, '::1', 8765)).toBe('http://[::1]:8765');
  });

  it('names its resource, issuer and resource metadata from the public URL', () => {
    expect(oauthUrls('https://narrative.example.com')).toEqual({
      publicUrl: 'https://narrative.example.com',
      issuer: 'https://narrative.example.com/',
      resource: 'https://narrative.example.com/mcp',
      resourceMetadataUrl: 'https://narrative.example.com/.well-known/oauth-protected-resource/mcp',
    });
  });

  it('offers OAuth over https, or over plain http only on the machine itself', () => {
    expect(oauthOffered('https://narrative.example.com')).toBe(true);
    expect(oauthOffered('http://127.0.0.1:8765')).toBe(true);
    expect(oauthOffered('http://localhost:8765')).toBe(true);
    expect(oauthOffered('http://0.0.0.0:8765')).toBe(false);
    expect(oauthOffered('http://narrative.example.com')).toBe(false);
  });
});
