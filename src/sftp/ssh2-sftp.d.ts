// ssh2 1.17 ships no types for its internal SFTP module (src/sftp/protocol.ts says what it takes from it).
declare module 'ssh2/lib/protocol/SFTP.js' {
  const sftp: unknown;
  export default sftp;
}
