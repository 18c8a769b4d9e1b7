/** CRC16/XMODEM, the checksum Valkey Cluster maps keys and sharded channels to slots with. */
const TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  return crc
})

/**
 * The cluster slot of a key or sharded channel: CRC16 of its hash tag (the text inside the first `{…}`,
 * when not empty) or of the whole name, modulo 16384.
 */
export function slotOf(name: string): number {
  let bytes = Buffer.from(name)
  const open = bytes.indexOf(0x7b)
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1)
    if (close > open + 1) bytes = bytes.subarray(open + 1, close)
  }
  let crc = 0
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number)
  return crc % 16384
}
