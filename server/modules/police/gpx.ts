/**
 * GPX 1.1 track reading with saxes, which never fetches or expands external entities. A document type
 * declaration is refused outright (it is the only place entities can be declared: no XXE, no billion
 * laughs), and so is anything that is not well-formed XML. The text is fed in slices with a turn of the
 * event loop between them, so that a 100,000-point track does not hold up other requests.
 */
import { SaxesParser } from 'saxes'
import { AppError } from '../../errors.ts'

export interface TrackPoint {
  lon: number
  lat: number
  time: number
}

const SLICE = 128 * 1024

const refuse = (message: string, field = 'body') =>
  new AppError('VALIDATION_FAILED', `${field}: ${message}`, { problems: [{ field, message }] })

const localName = (name: string) => name.slice(name.indexOf(':') + 1)

/** The points of a GPX document's tracks (trk/trkseg/trkpt with lat, lon and time), in document order; at most `maxPoints`. */
export async function readGpxTrack(text: string, maxPoints: number): Promise<TrackPoint[]> {
  const parser = new SaxesParser({ xmlns: false, position: true })
  const points: TrackPoint[] = []
  const stack: string[] = []
  let current: { lon: number; lat: number; time?: number; index: number } | undefined
  let timeText: string | undefined
  let failure: AppError | undefined
  let sawRoot = false
  const fail = (error: AppError) => {
    failure ??= error
    throw error
  }
  const where = () => `line ${parser.line}, column ${parser.column}`

  parser.on('doctype', () => fail(refuse(`a document type declaration (DOCTYPE) is not accepted in a GPX track (${where()}); remove it`)))
  parser.on('error', (error) => fail(refuse(`is not well-formed XML: ${error.message}`)))
  parser.on('opentag', (tag) => {
    const name = localName(tag.name)
    if (stack.length === 0) {
      if (name !== 'gpx') fail(refuse(`the root element is <${tag.name}>, not <gpx>`))
      const version = tag.attributes.version
      if (typeof version === 'string' && version !== '1.1' && version !== '1.0')
        fail(refuse(`GPX version ${version} is not supported (1.1 or 1.0)`, 'body/gpx/version'))
      sawRoot = true
    }
    stack.push(name)
    if (name === 'trkpt' && stack[stack.length - 2] === 'trkseg') {
      const index = points.length
      if (index >= maxPoints) fail(refuse(`the track has more than ${maxPoints.toLocaleString('en')} points; split it`))
      const field = `body/trkpt/${index}`
      const lat = Number(tag.attributes.lat)
      const lon = Number(tag.attributes.lon)
      if (typeof tag.attributes.lat !== 'string' || !Number.isFinite(lat) || lat < -90 || lat > 90)
        fail(refuse(`lat must be a number from -90 to 90, got ${JSON.stringify(tag.attributes.lat ?? null)} (${where()})`, `${field}/lat`))
      if (typeof tag.attributes.lon !== 'string' || !Number.isFinite(lon) || lon < -180 || lon > 180)
        fail(
          refuse(`lon must be a number from -180 to 180, got ${JSON.stringify(tag.attributes.lon ?? null)} (${where()})`, `${field}/lon`),
        )
      current = { lon, lat, index }
    } else if (name === 'time' && current) timeText = ''
  })
  parser.on('text', (text) => {
    if (timeText !== undefined) timeText += text
  })
  parser.on('closetag', (tag) => {
    const name = localName(tag.name)
    stack.pop()
    if (name === 'time' && current && timeText !== undefined) {
      const value = timeText.trim()
      const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN
      if (!Number.isFinite(time))
        fail(refuse(`time must be an ISO 8601 date-time with a zone, got ${JSON.stringify(value)}`, `body/trkpt/${current.index}/time`))
      current.time = time
      timeText = undefined
    } else if (name === 'trkpt' && current) {
      if (current.time === undefined) fail(refuse('has no <time>; a track needs the time of every point', `body/trkpt/${current.index}`))
      points.push({ lon: current.lon, lat: current.lat, time: current.time! })
      current = undefined
    }
  })

  try {
    for (let offset = 0; offset < text.length; offset += SLICE) {
      parser.write(text.slice(offset, offset + SLICE))
      if (offset + SLICE < text.length) await new Promise((resolve) => setImmediate(resolve))
    }
    parser.close()
  } catch (error) {
    if (failure) throw failure
    throw refuse(`is not well-formed XML: ${(error as Error).message}`)
  }
  if (failure) throw failure
  if (!sawRoot) throw refuse('is empty; send a GPX document')
  if (points.length === 0) throw refuse('the GPX document has no track points (gpx/trk/trkseg/trkpt)')
  return points
}
