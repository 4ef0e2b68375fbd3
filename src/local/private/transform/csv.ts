/**
 * One CSV row (RFC 4180: fields separated by commas, optionally quoted with
 * `"`, a quote inside a quoted field doubled). Used by batch transform's
 * `DataProcessing`, which treats a CSV row as a JSON array of strings.
 */
export function parseCsvRow(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < n) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          value += line.slice(i);
          i = n;
          break;
        }
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // Anything between the closing quote and the next comma is kept as-is.
      const comma = line.indexOf(',', i);
      const tail = comma < 0 ? line.slice(i) : line.slice(i, comma);
      fields.push(value + tail);
      if (comma < 0) break;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        break;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
  return fields;
}

/** Formats one CSV field, quoting it when it holds a comma, a quote or a line break. */
export function formatCsvField(value: unknown): string {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Formats a row: an array becomes comma-separated fields, anything else one field. */
export function formatCsvRow(value: unknown): string {
  return Array.isArray(value) ? value.map(formatCsvField).join(',') : formatCsvField(value);
}
