import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A web server on 127.0.0.1 publishing client metadata documents, good and hostile, by path. */
export interface ClientMetadataServer {
  url: string;
  /** The URL of a well-formed document for a client named `name`, redirecting to `redirectUri`. */
  documentUrl(name: string, redirectUri: string): string;
  close(): Promise<void>;
}

export async function startClientMetadataServer(): Promise<ClientMetadataServer> {
  let base = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const id = `${base}${url.pathname}${url.search}`;
    switch (url.pathname) {
      case '/clients/good.json':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ client_id: id, client_name: url.searchParams.get('name'), redirect_uris: [url.searchParams.get('redirect')], token_endpoint_auth_method: 'none' }));
        return;
      case '/clients/huge.json':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ client_id: id, client_name: 'x'.repeat(1_000_000), redirect_uris: ['https://app.example/cb'] }));
        return;
      case '/clients/slow.json':
        return; // never answers
      case '/clients/moved.json':
        res.writeHead(302, { location: `${base}/clients/good.json` }).end();
        return;
      case '/clients/impostor.json':
        res.end(JSON.stringify({ client_id: 'https://someone-else.example/client.json', client_name: 'Impostor', redirect_uris: ['https://app.example/cb'] }));
        return;
      case '/clients/confidential.json':
        res.end(JSON.stringify({ client_id: id, client_name: 'Secretive', redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_post' }));
        return;
      case '/clients/not-json.json':
        res.end('<html>hello</html>');
        return;
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    documentUrl: (name, redirectUri) => `${base}/clients/good.json?${new URLSearchParams({ name, redirect: redirectUri }).toString()}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
