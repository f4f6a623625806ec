import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchClientMetadataDocument, isPublicAddress, type ClientMetadataFetchOptions } from '../../../src/http/oauth/client-metadata-document.js';
import { startClientMetadataServer, type ClientMetadataServer } from '../../support/client-metadata-server.js';

describe('fetching a client metadata document', () => {
  let documents: ClientMetadataServer;
  const allowed: ClientMetadataFetchOptions = { allowPrivate: true, timeoutMs: 300, maxBytes: 16_384 };

  beforeAll(async () => {
    documents = await startClientMetadataServer();
  });
  afterAll(async () => {
    await documents?.close();
  });

  it('reads a well-formed document whose client_id is its own URL', async () => {
    const url = documents.documentUrl('Notes App', 'https://notes.example/callback');
    await expect(fetchClientMetadataDocument(url, allowed)).resolves.toMatchObject({
      client_name: 'Notes App',
      redirect_uris: ['https://notes.example/callback'],
      token_endpoint_auth_method: 'none',
    });
  });

  it.each([
    ['huge', /larger than 16384 bytes/],
    ['slow', /took longer than 300 ms/],
    ['moved', /redirects elsewhere/],
    ['impostor', /names another client_id/],
    ['confidential', /must be public/],
    ['not-json', /not JSON/],
    ['missing', /answered 404/],
  ])('refuses a document that is %s', async (name, reason) => {
    await expect(fetchClientMetadataDocument(`${documents.url}/clients/${name}.json`, allowed)).rejects.toThrow(reason);
  });

  it('refuses private and loopback addresses, and plain http, unless allowed', async () => {
    const strict = { ...allowed, allowPrivate: false };
    const port = new URL(documents.url).port;
    await expect(fetchClientMetadataDocument(`${documents.url}/clients/good.json`, strict)).rejects.toThrow(/must be an https URL/);
    await expect(fetchClientMetadataDocument(`https://127.0.0.1:${port}/clients/good.json`, strict)).rejects.toThrow(/not on the internet/);
    await expect(fetchClientMetadataDocument(`https://localhost:${port}/clients/good.json`, strict)).rejects.toThrow(/not on the internet/);
    await expect(fetchClientMetadataDocument(`https://[::1]:${port}/clients/good.json`, strict)).rejects.toThrow(/not on the internet/);
    await expect(fetchClientMetadataDocument('https://client.example/', strict)).rejects.toThrow(/with a path/);
  });

  it('tells addresses on the internet from the others', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(isPublicAddress(address)).toBe(true);
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });
});
