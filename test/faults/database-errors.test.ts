import { toProblem } from '../../src/http/error-handler';

/** A driver error as pg raises it for an error the server sent: a SQLSTATE and a severity. */
const serverError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: code.startsWith('57P') ? 'FATAL' : 'ERROR' });
/** As drizzle hands it on: its own error, the driver's as the cause. */
const wrapped = (cause: unknown) =>
  Object.assign(new Error('Failed query: insert into "incidents" …'), { cause });
/** What a socket reports. */
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

const UNREACHABLE = {
  type: '/problems/unavailable',
  title: 'Service Unavailable',
  status: 503,
  detail: 'The database is not reachable right now; retry later.',
};

test.each<[string, unknown]>([
  [
    '57P01 admin_shutdown (the server is restarting)',
    serverError('57P01', 'terminating connection due to administrator command'),
  ],
  [
    '57P02 crash_shutdown',
    serverError('57P02', 'terminating connection because of crash of another server process'),
  ],
  ['57P03 cannot_connect_now', serverError('57P03', 'the database system is starting up')],
  ['08006 connection_failure', serverError('08006', 'connection failure')],
  ['08001 sqlclient_unable_to_establish_sqlconnection', serverError('08001', 'could not connect')],
  ['53300 too_many_connections', serverError('53300', 'sorry, too many clients already')],
  ['a refused connection', socketError('ECONNREFUSED')],
  ['a reset connection', socketError('ECONNRESET')],
  ['a connection that broke mid-query', new Error('Connection terminated unexpectedly')],
  ['a connection attempt that timed out', new Error('Connection terminated due to connection timeout')],
  ['a full pool that had no connection in time', new Error('timeout exceeded when trying to connect')],
  [
    'a query on a client whose connection broke',
    new Error('Client has encountered a connection error and is not queryable'),
  ],
])('%s: 503, nothing internal', (_, err) => {
  expect(toProblem(err, 'r1')).toEqual(UNREACHABLE);
  expect(toProblem(wrapped(err), 'r1')).toEqual(UNREACHABLE);
});

test('57014 query_canceled (statement_timeout): 503 saying the request took too long', () => {
  const timeout = serverError('57014', 'canceling statement due to statement timeout');
  const expected = {
    ...UNREACHABLE,
    detail: 'The request took longer than the database allows; retry later.',
  };
  expect(toProblem(timeout, 'r1')).toEqual(expected);
  expect(toProblem(wrapped(timeout), 'r1')).toEqual(expected);
});

test.each<[string, unknown]>([
  ['a pool the app itself has closed', new Error('Cannot use a pool after calling end on the pool')],
  ['a syntax error', serverError('42601', 'syntax error at or near "selec"')],
  [
    'an unmapped constraint',
    wrapped(serverError('23505', 'duplicate key value violates unique constraint "x"')),
  ],
])('%s is not an outage: 500', (_, err) => {
  expect(toProblem(err, 'r1')).toMatchObject({ type: '/problems/internal', status: 500 });
});

test('a request body the client cut off keeps its client error, socket code or not', () => {
  const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
  expect(toProblem(aborted, 'r1')).toMatchObject({ type: '/problems/bad-request', status: 400 });
});
