import http from 'node:http';

/** A request as bytes: the path exactly as it goes on the request line, the body exactly as it is sent. */
export interface Outgoing {
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body: Buffer | undefined;
}

/** An answer as it came back. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** How the connection broke, when the answer had to be fetched another way (see `client`). */
  lost?: string;
  /** Set when the answer broke off before its end: `text` is what came. */
  brokenOff?: string;
}

const PIECE = 64 * 1024;

/**
 * An HTTP client for sending requests byte for byte, one at a time over one kept-alive connection (supertest
 * re-encodes paths and bodies, and connects anew for every request). A server may answer before it has read a
 * whole body and close the connection; when the answer is lost with it (Node's client drops what it had not
 * read yet), `fallback` sends the same request another way (in-process) so that its answer can still be seen.
 */
export function client(
  origin: { host: string; port: number },
  fallback: (request: Outgoing) => Promise<Answer>,
) {
  const connection = new http.Agent({ keepAlive: true, maxSockets: 1 });

  function send(request: Outgoing, retried = false): Promise<Answer> {
    const headers = { ...request.headers };
    if (request.body) headers['content-length'] = request.body.length;
    return new Promise((resolve, reject) => {
      let answered = false;
      let written = false;
      const req = http.request(
        { ...origin, agent: connection, method: request.method, path: request.path, headers },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          const answer = () => ({
            status: res.statusCode!,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          // A server that fails after it began to answer can only cut the answer short: that is checked too.
          res.on('error', (err) => resolve({ ...answer(), brokenOff: err.message }));
          res.on('end', () => {
            // Answered before the whole body was sent: this connection cannot carry another request.
            if (!written) req.destroy();
            resolve(answer());
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        // The answer is what counts, not a write the server broke off after giving it.
        if (answered) return;
        // A kept-alive connection the server closed after its previous answer: once more on a new one.
        if (req.reusedSocket && err.code === 'ECONNRESET' && !retried) resolve(send(request, true));
        else if (err.code === 'EPIPE' || err.code === 'ECONNRESET') {
          fallback(request).then((answer) => resolve({ ...answer, lost: err.code }), reject);
        } else reject(err);
      });
      void writeBody(req, request.body, () => answered).then((done) => (written = done));
    });
  }

  return { send, close: () => connection.destroy() };
}

/**
 * Writes a body piece by piece, letting an early answer in between pieces, and ends the request unless the
 * server answered first; true when all of it was sent.
 */
async function writeBody(req: http.ClientRequest, bytes: Buffer | undefined, answered: () => boolean) {
  for (let offset = 0; bytes && offset < bytes.length; offset += PIECE) {
    if (offset > 0) await new Promise((next) => setImmediate(next));
    if (answered() || req.destroyed) return false;
    if (!req.write(bytes.subarray(offset, offset + PIECE))) {
      await new Promise<void>((resume) => {
        const go = () => {
          req.off('drain', go).off('close', go);
          resume();
        };
        req.on('drain', go).on('close', go);
      });
    }
  }
  if (answered() || req.destroyed) return false;
  req.end();
  return true;
}
