/** The downloads an OGC API collection offers besides its GeoJSON pages: their `f` values and the links listing them. */
import { DOWNLOAD_FORMATS, type DownloadFormat } from '../formats/writers.ts'

/** The `f` values of a download (GeoJSON pages stay `f=json`), with their media types. */
export const OGC_DOWNLOADS = { csv: 'csv', fgb: 'fgb', gpkg: 'gpkg' } as const satisfies Record<string, DownloadFormat>
export const isOgcDownload = (f: unknown): f is keyof typeof OGC_DOWNLOADS => typeof f === 'string' && f in OGC_DOWNLOADS

/** The download links a collection document lists (rel enclosure, as OGC API – Features names downloads). */
export const downloadLinks = (itemsHref: string) =>
  (Object.keys(OGC_DOWNLOADS) as (keyof typeof OGC_DOWNLOADS)[]).map((f) => ({
    href: `${itemsHref}?f=${f}`,
    rel: 'enclosure',
    type: DOWNLOAD_FORMATS[f].mediaType,
    title: `every feature as ${{ csv: 'CSV', fgb: 'FlatGeobuf', gpkg: 'GeoPackage' }[f]}`,
  }))
