// Files a person attaches to a message, read into what the gateway expects (demo-api.md §5):
// images become image_url data URIs, PDFs and documents `file` parts with base64 data. Limits are
// Bedrock's (3.75 MB per image, 4.5 MB per document) so a too-large file is refused here, with a
// reason, rather than by the model after the upload.
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const DOCUMENT_EXTENSIONS = ['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'htm', 'txt',
                                    'md', 'json'];
export const ACCEPT = [...IMAGE_TYPES, ...DOCUMENT_EXTENSIONS.map((e) => `.${e}`)].join(',');
const IMAGE_LIMIT = 3.75 * 1024 * 1024;
const DOCUMENT_LIMIT = 4.5 * 1024 * 1024;

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function base64Of(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// Resolves to {kind: 'image'|'file', name, mime, size, data (base64)}; rejects with a message.
export async function readAttachment(file) {
  const extension = (file.name.split('.').pop() ?? '').toLowerCase();
  const isImage = IMAGE_TYPES.includes(file.type);
  if (!isImage && !DOCUMENT_EXTENSIONS.includes(extension)) {
    throw new Error(`${file.name}: only images (PNG, JPEG, GIF, WebP) and documents ` +
                    `(${DOCUMENT_EXTENSIONS.join(', ')}) can be attached.`);
  }
  const limit = isImage ? IMAGE_LIMIT : DOCUMENT_LIMIT;
  if (file.size > limit) {
    throw new Error(`${file.name} is ${formatSize(file.size)}; the limit for ` +
                    `${isImage ? 'an image' : 'a document'} is ${formatSize(limit)}.`);
  }
  const data = base64Of(await file.arrayBuffer());
  return { kind: isImage ? 'image' : 'file', name: file.name || 'pasted-image.png',
           mime: file.type || 'application/octet-stream', size: file.size, data };
}
